-- Questions a questionnaire skips (dtsen_assets/staging/skip_rules.csv): an empty cell of `variable`
-- is no problem when the record's `when_variable` is `when_value`.
CREATE OR REPLACE TEMP TABLE skip_rule AS
SELECT trim(variable) AS variable, trim(when_variable) AS when_variable, trim(when_value) AS when_value
FROM read_csv(?, all_varchar = true, header = true);
