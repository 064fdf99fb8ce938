-- The coded columns of one raw table as canonical values: unpivot the cells, look each up in the
-- codebook on (source, variable, normalized code), pivot back to one row per record.
-- A code the codebook does not know becomes NULL with `code_unknown:<canonical variable>`, an empty
-- cell NULL with `code_empty:<canonical variable>`. A known code that has no row for one of the
-- variables its column feeds (P3KE `Tidak Bekerja` says nothing of lapangan_usaha) is NULL, no problem;
-- so is an empty cell of a question the questionnaire skipped (temp table skip_rule).
CREATE OR REPLACE TEMP TABLE {target} AS
WITH cells AS (
    SELECT record_id, raw_column, code
    FROM (SELECT {record_id} AS record_id, {coded_columns} FROM {raw_table})
    UNPIVOT INCLUDE NULLS (code FOR raw_column IN ({coded_columns}))
),
targets AS (
    SELECT cells.record_id, normalize_code(cells.code) AS code_key, m.codebook_variable,
           m.codebook_canonical_variable, m.canonical_variable
    FROM cells
    JOIN coded_column AS m USING (raw_column)
),
known_codes AS (
    SELECT DISTINCT variable, code_key FROM staging.codebook WHERE source = {source}
),
decoded AS (
    SELECT
        t.record_id,
        t.canonical_variable,
        cb.canonical_value,
        CASE WHEN t.code_key IS NULL THEN 'code_empty:' || t.canonical_variable
             WHEN k.code_key IS NULL THEN 'code_unknown:' || t.canonical_variable END AS problem
    FROM targets AS t
    LEFT JOIN known_codes AS k
        ON k.variable = t.codebook_variable AND k.code_key = t.code_key
    LEFT JOIN staging.codebook AS cb
        ON cb.source = {source} AND cb.variable = t.codebook_variable AND cb.code_key = t.code_key
       AND cb.canonical_variable = t.codebook_canonical_variable
),
canonical AS (
    PIVOT decoded ON canonical_variable IN ({canonical_variables}) USING first(canonical_value) GROUP BY record_id
),
skipped AS (
    SELECT empty.record_id, empty.canonical_variable
    FROM decoded AS empty
    JOIN skip_rule AS rule ON rule.variable = empty.canonical_variable
    JOIN decoded AS answer
        ON answer.record_id = empty.record_id AND answer.canonical_variable = rule.when_variable
       AND answer.canonical_value = rule.when_value
    WHERE starts_with(empty.problem, 'code_empty:')
),
record_problems AS (
    SELECT d.record_id, coalesce(list_sort(list(d.problem) FILTER (WHERE d.problem IS NOT NULL AND s.record_id IS NULL)), [])
        AS code_problems
    FROM decoded AS d
    LEFT JOIN skipped AS s USING (record_id, canonical_variable)
    GROUP BY d.record_id
)
SELECT * FROM canonical JOIN record_problems USING (record_id);
