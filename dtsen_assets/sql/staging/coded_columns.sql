-- The coded columns of one raw table and the canonical variable(s) each feeds, read off the
-- codebook: a column is coded when the codebook names it for the source, directly or through a
-- wildcard row (ASET_* stands for every ASET_ column, whose canonical variable is its own name).
-- One row per feed (a column feeding one canonical variable), numbered.
CREATE OR REPLACE TEMP TABLE coded_column AS
WITH codebook_variables AS (
    SELECT DISTINCT variable, canonical_variable FROM staging.codebook WHERE source = ?
),
raw_columns AS (
    SELECT column_name
    FROM information_schema.columns
    WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?
),
feeds AS (
    SELECT
        c.column_name AS raw_column,
        v.variable AS codebook_variable,
        v.canonical_variable AS codebook_canonical_variable,
        CASE WHEN ends_with(v.variable, '*')
             THEN replace(v.canonical_variable, '*', lower(substr(c.column_name, length(v.variable))))
             ELSE v.canonical_variable END AS canonical_variable
    FROM raw_columns AS c
    JOIN codebook_variables AS v
        ON c.column_name = v.variable
        OR (ends_with(v.variable, '*') AND starts_with(c.column_name, rtrim(v.variable, '*')))
)
SELECT row_number() OVER (ORDER BY raw_column, canonical_variable, codebook_variable) AS feed, *
FROM feeds;
