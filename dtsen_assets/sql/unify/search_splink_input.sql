-- What Splink scores in the candidate search: the searched records, the Dukcapil persons that
-- are candidates of at least one of them, and the candidate pairs as Splink's blocked pairs
-- (composite ids `<source_dataset>-__-<unique_id>`, record on the left).
CREATE OR REPLACE TABLE {w}.unify_splink_search_record AS
SELECT unique_id, source_dataset, nik_digits, name_full, name_sorted, name_words, name_letters,
       name_initials, tgl_lahir, birth_year_a, jenis_kelamin, kode_desa, kode_kec, kode_kab, kk_context, kk_source
FROM {w}.search_record
WHERE unique_id IN (SELECT record_key FROM {w}.search_candidate);

CREATE OR REPLACE TABLE {w}.unify_splink_search_dukcapil AS
SELECT unique_id, source_dataset, nik_digits, name_full, name_sorted, name_words, name_letters,
       name_initials, tgl_lahir, birth_year_a, jenis_kelamin, kode_desa, kode_kec, kode_kab, kk_context, kk_source
FROM {w}.search_dukcapil
WHERE unique_id IN (SELECT dukcapil_key FROM {w}.search_candidate);

CREATE OR REPLACE TABLE {w}.unify_splink_search_pairs AS
SELECT CAST(rule AS VARCHAR) AS match_key,
       'record-__-' || record_key AS join_key_l,
       'dukcapil-__-' || dukcapil_key AS join_key_r
FROM {w}.search_candidate;
