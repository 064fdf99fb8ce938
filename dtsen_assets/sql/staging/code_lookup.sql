-- Every value found in the coded columns of one raw table, decoded once per feed (temp table
-- coded_column: a column feeding one canonical variable): a column holds a few distinct codes, so
-- each is normalized and looked up in the codebook once, not once per record. The key codes are
-- matched on is (source, variable, normalized code).
-- A code the codebook does not know gives NULL and `code_unknown:<canonical variable>`, an empty
-- cell (NULL or blank) NULL and `code_empty:<canonical variable>`. A known code that has no row for
-- one of the variables its column feeds (P3KE `Tidak Bekerja` says nothing of lapangan_usaha) gives
-- NULL and no problem.
CREATE OR REPLACE TEMP TABLE {target} AS
WITH found AS (
    {found_values}
),
codes AS (
    -- one value per key (codebook_keys_unique lets a code be listed twice with the same value)
    SELECT variable, canonical_variable, code_key, any_value(canonical_value) AS canonical_value
    FROM staging.codebook
    WHERE source = {source}
    GROUP BY ALL
),
known_codes AS (
    SELECT DISTINCT variable, code_key FROM codes
),
targets AS (
    SELECT m.feed, f.code AS raw_value, normalize_code(f.code) AS code_key, m.codebook_variable,
           m.codebook_canonical_variable, m.canonical_variable
    FROM found AS f
    JOIN coded_column AS m USING (raw_column)
)
SELECT
    t.feed,
    t.raw_value,
    cb.canonical_value,
    CASE WHEN t.code_key IS NULL THEN 'code_empty:' || t.canonical_variable
         WHEN k.code_key IS NULL THEN 'code_unknown:' || t.canonical_variable END AS problem
FROM targets AS t
LEFT JOIN known_codes AS k
    ON k.variable = t.codebook_variable AND k.code_key = t.code_key
LEFT JOIN codes AS cb
    ON cb.variable = t.codebook_variable AND cb.code_key = t.code_key
   AND cb.canonical_variable = t.codebook_canonical_variable;
