-- codebook.csv (the shipped vocabulary, Dukcapil, verivali and Cek Bansos labels included), with the
-- key codes are matched on.
CREATE OR REPLACE TABLE {target} AS
SELECT
    trim(source) AS source,
    trim(variable) AS variable,
    code,
    label,
    trim(canonical_variable) AS canonical_variable,
    trim(canonical_value) AS canonical_value,
    normalize_code(code) AS code_key,
    parse_filename(filename) AS codebook_file
FROM read_csv(?, all_varchar = true, header = true, filename = true, union_by_name = true)
WHERE nullif(trim(source), '') IS NOT NULL;
