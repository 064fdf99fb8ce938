-- The rest: records no Dukcapil person was accepted for ({w}.search_match without a dukcapil_key).
-- Each is compared with the other records: those resolved to a Dukcapil person (another record
-- of the same person may have told Dukcapil who it is) and the other unmatched records (the
-- same person twice, in two sources or twice in one). Blocking as in the search, on the
-- record side of both: NIK, the source's card, birth date within the regency or with a first name
-- token, village with a first or last name token, regency with the whole name, and village,
-- sex and age year for records without a date. Pairs between two resolved records are never
-- formed: they are settled by their NIK.
CREATE OR REPLACE TABLE {w}.rest_record AS
SELECT s.* FROM {w}.record_side s
WHERE s.unique_id IN (SELECT record_key FROM {w}.search_match WHERE dukcapil_key IS NULL);

-- The other side of every blocking rule is any record, and its keys are columns of the record
-- itself: they are read from {w}.record, narrow, as record_side computes them (kk_source is the
-- card the source shows, tgl_lahir_eff and jenis_kelamin fall back to what the NIK encodes).
-- Neither side goes through the record_side view (three joins) nor is copied wide: once the
-- rest records span every regency, a copy of "the records that could share a key" was a copy of
-- all records with their name lists (36 s of the 60 s of this file at 10M persons).
CREATE OR REPLACE TABLE {w}.rest_pair AS
WITH u AS (
    SELECT unique_id, nik_digits, kk_source, tgl_lahir_eff, kode_kab, first_token, kode_desa, last_token,
           name_sorted, birth_year_a, jenis_kelamin
    FROM {w}.rest_record
), v AS (
    SELECT record_key AS unique_id, nik_digits, no_kk AS kk_source, coalesce(tgl_lahir, nik_birth) AS tgl_lahir_eff,
           kode_kab, first_token, kode_desa, last_token, name_sorted, birth_year_a,
           coalesce(jenis_kelamin, nik_sex) AS jenis_kelamin
    FROM {w}.record
),
pairs AS (
    SELECT u.unique_id AS record_key, v.unique_id AS other_key FROM u JOIN v ON u.nik_digits = v.nik_digits
    UNION ALL SELECT u.unique_id, v.unique_id FROM u JOIN v ON u.kk_source = v.kk_source
    UNION ALL SELECT u.unique_id, v.unique_id FROM u JOIN v ON u.tgl_lahir_eff = v.tgl_lahir_eff AND u.kode_kab = v.kode_kab
    UNION ALL SELECT u.unique_id, v.unique_id FROM u JOIN v ON u.tgl_lahir_eff = v.tgl_lahir_eff AND u.first_token = v.first_token
    UNION ALL SELECT u.unique_id, v.unique_id FROM u JOIN v ON u.kode_desa = v.kode_desa AND u.first_token = v.first_token
    UNION ALL SELECT u.unique_id, v.unique_id FROM u JOIN v ON u.kode_desa = v.kode_desa AND u.last_token = v.last_token
    UNION ALL SELECT u.unique_id, v.unique_id FROM u JOIN v ON u.kode_kab = v.kode_kab AND u.name_sorted = v.name_sorted
    UNION ALL SELECT u.unique_id, v.unique_id FROM u JOIN v
        ON u.kode_desa = v.kode_desa AND u.birth_year_a = v.birth_year_a AND u.jenis_kelamin = v.jenis_kelamin
)
-- an unordered pair is kept once, smaller key first (two unmatched records find each other twice)
SELECT DISTINCT least(record_key, other_key) AS key_l, greatest(record_key, other_key) AS key_r
FROM pairs
WHERE record_key <> other_key;

CREATE OR REPLACE TABLE {w}.unify_splink_rest_node AS
SELECT unique_id, nik_digits, name_full, name_sorted, name_words, name_letters, name_initials,
       tgl_lahir, birth_year_a, jenis_kelamin, kode_desa, kode_kec, kode_kab, kk_context, kk_source
FROM {w}.record_side
WHERE unique_id IN (SELECT key_l FROM {w}.rest_pair UNION SELECT key_r FROM {w}.rest_pair);

CREATE OR REPLACE TABLE {w}.unify_splink_rest_pairs AS
SELECT 'rest' AS match_key, key_l AS join_key_l, key_r AS join_key_r FROM {w}.rest_pair;
