-- Unknown and empty codes per source and canonical variable of one staging table. The share of
-- unknown codes is taken over the codes read for the variable (a value, or a code the codebook does
-- not know); skipped questions and empty cells are not in it. Variables a source does not have
-- (never a value, never an unknown code) are left out.
WITH cells AS (
    SELECT source, variable, value
    FROM (SELECT {source} AS source, {columns} FROM {table})
    UNPIVOT INCLUDE NULLS (value FOR variable IN ({variables}))
),
coded AS (
    SELECT source, variable, count(value) AS with_value FROM cells GROUP BY source, variable
),
totals AS (
    SELECT {source} AS source, count(*) AS records FROM {table} GROUP BY ALL
),
code_problems AS (
    SELECT
        source,
        split_part(problem, ':', 2) AS variable,
        count(*) FILTER (WHERE starts_with(problem, 'code_unknown:')) AS unknown,
        count(*) FILTER (WHERE starts_with(problem, 'code_empty:')) AS empty
    FROM (SELECT {source} AS source, unnest(problems) AS problem FROM {table})
    WHERE starts_with(problem, 'code_')
    GROUP BY ALL
)
SELECT
    source,
    variable,
    records,
    with_value + coalesce(unknown, 0) AS codes_read,
    coalesce(empty, 0) AS empty,
    coalesce(unknown, 0) AS unknown,
    coalesce(unknown, 0) / (with_value + coalesce(unknown, 0)) AS unknown_share
FROM coded
JOIN totals USING (source)
LEFT JOIN code_problems USING (source, variable)
WHERE with_value + coalesce(unknown, 0) > 0
ORDER BY source, variable;
