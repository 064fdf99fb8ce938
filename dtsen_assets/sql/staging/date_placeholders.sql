-- Dates that stand for "unknown" (dtsen_assets/staging/date_placeholders.csv), as YYYY-MM-DD text.
CREATE OR REPLACE TEMP TABLE date_placeholder AS
SELECT DISTINCT trim(date) AS date FROM read_csv(?, all_varchar = true, header = true);
