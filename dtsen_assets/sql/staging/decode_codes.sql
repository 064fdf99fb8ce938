-- The coded columns of one raw table as canonical values, in a temp table keyed by record: each
-- coded cell is looked up among the values decoded once (code_lookup.sql), one join per feed (a
-- column feeding one canonical variable; a small table each). `code_problems` lists the problems of
-- every feed, sorted, except `code_empty` of a question the questionnaire skipped for this record
-- (temp table skip_rule). The columns and joins are written by staging/codes.py (Decoding).
CREATE OR REPLACE TEMP TABLE {target} AS
SELECT
    r.record_id,
    {decoded}
FROM (SELECT {record_id} AS record_id, {coded_columns} FROM {raw_table}) AS r
{lookups};
