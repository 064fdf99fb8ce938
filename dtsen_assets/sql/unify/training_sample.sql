-- The sample the Fellegi-Sunter model is trained on (Splink: u by random pairs, m by EM).
-- Records: about {records} records chosen by a hash of their source and record id (deterministic,
-- and representative: every record, not only those still to be searched).
-- Dukcapil: the persons those records' NIKs name, plus about {extra} chosen by a hash of the NIK.
-- Both in the model's columns plus the training blocking keys (tgl_lahir_eff, kk_context).
CREATE OR REPLACE TABLE {w}.unify_splink_train_record AS
SELECT unique_id, source_dataset, nik_digits, name_full, name_sorted, name_words, name_letters,
       name_initials, tgl_lahir, tgl_lahir_eff, birth_year_a, jenis_kelamin, kode_desa, kode_kec, kode_kab,
       kk_context, kk_source
FROM {w}.record_side
WHERE unique_id IN (SELECT record_key FROM {w}.record
                    WHERE hash(source || ':' || source_record_id || ':{seed}') % 1000000 < {record_share_millionths});

CREATE OR REPLACE TABLE {w}.unify_splink_train_dukcapil AS
WITH chosen AS (
    SELECT d.unique_id FROM {w}.search_dukcapil d
    JOIN (SELECT DISTINCT nik_digits FROM {w}.unify_splink_train_record) r ON r.nik_digits = d.nik_digits
    UNION
    SELECT unique_id FROM {w}.search_dukcapil
    WHERE hash(nik_digits || ':{seed}') % 1000000 < {extra_share_millionths}
)
SELECT d.unique_id, d.source_dataset, d.nik_digits, d.name_full, d.name_sorted, d.name_words,
       d.name_letters, d.name_initials, d.tgl_lahir, d.tgl_lahir_eff, d.birth_year_a, d.jenis_kelamin,
       d.kode_desa, d.kode_kec, d.kode_kab, d.kk_context, d.kk_source
FROM {w}.search_dukcapil d
JOIN chosen USING (unique_id);
