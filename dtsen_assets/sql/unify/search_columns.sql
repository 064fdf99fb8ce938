-- The two sides of the candidate search, in the same columns (dtsen_assets/unify/model.py):
-- {w}.record_side: every record; {w}.search_record: those whose NIK was not confirmed in step 1;
-- {w}.search_dukcapil: every Dukcapil person.
-- Blocking keys (search_candidates.sql):
--   nik_k1 / nik_k2  NIK fragments: the first 8 digits (catches a mistake in the last 8), and
--                    province + last 8 digits (a mistake in digits 3-8, also a digit lost or
--                    doubled there);
--   tgl_lahir_eff    the record's birth date, else the one written in its own NIK;
--   age_year_a/_b    the birth years an age allows, only for records without any date;
--   kk_context       the current card the record's family was confirmed on (family_context.sql);
--   kk_source        the card the source shows (a card not re-issued since is still current).
-- nik_claimed is the NIK_BARU of a village-meeting correction about the record (verivali).
CREATE OR REPLACE VIEW {w}.record_side AS
SELECT
    r.record_key AS unique_id,
    r.source, r.source_record_id, r.source_family_id,
    e.record_key IS NOT NULL AS confirmed,
    'record' AS source_dataset,
    r.nik_digits,
    CASE WHEN length(r.nik_digits) >= 12 THEN left(r.nik_digits, 8) END AS nik_k1,
    CASE WHEN length(r.nik_digits) >= 12 THEN left(r.nik_digits, 2) || right(r.nik_digits, 8) END AS nik_k2,
    c.nik_claimed,
    r.name_full, r.name_sorted, r.name_tokens, r.name_words, r.name_letters, r.name_initials,
    r.first_token, r.last_token,
    r.tgl_lahir, coalesce(r.tgl_lahir, r.nik_birth) AS tgl_lahir_eff,
    r.birth_year_a,
    CASE WHEN r.tgl_lahir IS NULL AND r.nik_birth IS NULL THEN r.birth_year_a END AS age_year_a,
    CASE WHEN r.tgl_lahir IS NULL AND r.nik_birth IS NULL THEN r.birth_year_b END AS age_year_b,
    coalesce(r.jenis_kelamin, r.nik_sex) AS jenis_kelamin,
    r.kode_desa, r.kode_kec, r.kode_kab,
    f.kk_context,
    r.no_kk AS kk_source
FROM {w}.record r
LEFT JOIN {w}.exact_pair e ON e.record_key = r.record_key AND e.status = 'confirmed'
LEFT JOIN {w}.family_context f ON f.source = r.source AND f.source_family_id = r.source_family_id
LEFT JOIN {w}.nik_claim c ON c.record_key = r.record_key;

CREATE OR REPLACE TABLE {w}.search_record AS
SELECT * EXCLUDE (source, source_record_id, source_family_id, confirmed) FROM {w}.record_side WHERE NOT confirmed;

CREATE OR REPLACE VIEW {w}.search_dukcapil AS
SELECT
    dukcapil_key AS unique_id,
    'dukcapil' AS source_dataset,
    nik AS nik_digits,
    left(nik, 8) AS nik_k1,
    left(nik, 2) || right(nik, 8) AS nik_k2,
    nik AS nik_claimed,
    name_full, name_sorted, name_tokens, name_words, name_letters, name_initials,
    first_token, last_token,
    tgl_lahir, tgl_lahir AS tgl_lahir_eff,
    year(tgl_lahir) AS birth_year_a,
    year(tgl_lahir) AS age_year_a,
    year(tgl_lahir) AS age_year_b,
    jenis_kelamin,
    kode_desa, kode_kec, kode_kab,
    no_kk AS kk_context,
    no_kk AS kk_source
FROM {w}.dukcapil;
