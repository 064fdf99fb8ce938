-- The name rules of dtsen_assets/staging/name_rules.csv as one row of MAPs (word -> problem or
-- replacement), so the standardization can look words up inside list lambdas.
CREATE OR REPLACE TEMP TABLE name_rule_set AS
WITH rules AS (
    SELECT upper(trim(rule)) AS rule, upper(trim(word)) AS word, upper(trim(replacement)) AS replacement,
           trim(problem) AS problem
    FROM read_csv(?, all_varchar = true, header = true)
)
SELECT
    map_from_entries(list({'key': word, 'value': problem}) FILTER (WHERE rule = 'TITLE_BEFORE')) AS titles_before,
    map_from_entries(list({'key': word, 'value': problem}) FILTER (WHERE rule = 'TITLE_AFTER')) AS titles_after,
    map_from_entries(list({'key': word, 'value': problem}) FILTER (WHERE rule = 'CUT_FROM')) AS cut_from,
    map_from_entries(list({'key': word, 'value': replacement}) FILTER (WHERE rule = 'WORD')) AS word_replacements,
    map_from_entries(list({'key': word, 'value': problem}) FILTER (WHERE rule = 'WORD')) AS word_problems
FROM rules;
