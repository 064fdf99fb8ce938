-- Records per source and problem of one staging table, with the share of the source's records.
WITH records AS (
    SELECT {source} AS source, problems FROM {table}
),
totals AS (
    SELECT source, count(*) AS records FROM records GROUP BY source
),
problems AS (
    SELECT source, problem, count(*) AS records_with_problem
    FROM (SELECT source, unnest(list_distinct(problems)) AS problem FROM records)
    GROUP BY source, problem
)
SELECT source, problem, records_with_problem, records_with_problem / records AS share
FROM problems JOIN totals USING (source)
ORDER BY source, records_with_problem DESC, problem;
