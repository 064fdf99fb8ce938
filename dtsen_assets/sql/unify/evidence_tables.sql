-- The evidence behind unify's decisions, staged for publication with the other unify tables
-- (internal tables, read by `python -m dtsen_assets.explain`; docs/audit.md). Built from the
-- working tables of this run before they are dropped, never recomputed afterwards.
--
-- unify.match_evidence: one row per source person record (source, source_record_id), how it was
-- linked; the person it became, the method, score and reject reason are dtsen.person_source's (same
-- key) and the NIK as written is staging.person_record's, so they are not repeated here.
--   own_nik_status / own_nik_name_score: step 1 (padan_exact.sql), when the record's own NIK is a
--     Dukcapil NIK: 'confirmed' or why not (sex_differs, name_differs, date_differs, identity_differs).
--   chosen_* / runner_up_*: step 2 (search_resolve.sql): the best candidate and the next one, their
--     match weight (bits), posterior, and per field the level and its weight (field_evidence);
--     agreeing_fields / disagreeing_fields: the fields whose weight is positive / negative.
--   nik_verivali: the NIK a village meeting gave for the record (PERBAIKAN_NIK), if any.
--   linked_posterior / linked_match_weight: rest_link.sql, a record joined to another record's person.
--   nik_dukcapil: the NIK of the Dukcapil person the record became (NULL when none);
--   nik_chosen / nik_runner_up: the two best candidates' NIKs.
CREATE OR REPLACE TABLE {match_evidence_table} AS
SELECT
    m.source, m.source_record_id, m.unmatched_reason,
    CASE
        WHEN m.match_method IN ('exact_nik', 'cleaned_nik') THEN 'padan_nik_sendiri'
        WHEN es.record_key IS NOT NULL AND m.dukcapil_key IS NOT NULL AND m.match_method <> 'linked_record' THEN 'padan_pencarian'
        WHEN m.match_method = 'linked_record' THEN 'tautan_record_lain'
        WHEN m.match_method = 'probabilistic_cluster' THEN 'klaster_probabilistik'
        ELSE 'tidak_tertaut'
    END AS step,
    d.nik AS nik_dukcapil,
    ep.status AS own_nik_status, ep.name_score::DOUBLE AS own_nik_name_score,
    c.nik_claimed AS nik_verivali,
    es.candidates::INTEGER AS candidates,
    es.chosen_nik AS nik_chosen, es.chosen_match_weight::DOUBLE AS chosen_match_weight, es.chosen_posterior::DOUBLE AS chosen_posterior,
    es.chosen_identity_weight::DOUBLE AS chosen_identity_weight,
    es.field_evidence,
    list_transform(list_filter(es.field_evidence, lambda f: f.weight > 0), lambda f: f.field) AS agreeing_fields,
    list_transform(list_filter(es.field_evidence, lambda f: f.weight < 0), lambda f: f.field) AS disagreeing_fields,
    es.runner_up_nik AS nik_runner_up, es.runner_up_match_weight::DOUBLE AS runner_up_match_weight,
    es.runner_up_posterior::DOUBLE AS runner_up_posterior,
    es.runner_up_field_evidence,
    l.posterior::DOUBLE AS linked_posterior, l.match_weight::DOUBLE AS linked_match_weight
FROM {w}.record_match m
LEFT JOIN {w}.dukcapil d ON d.dukcapil_key = m.dukcapil_key
LEFT JOIN {w}.exact_pair ep ON ep.record_key = m.record_key
LEFT JOIN {w}.nik_claim c ON c.record_key = m.record_key
LEFT JOIN {w}.evidence_search es ON es.record_key = m.record_key
LEFT JOIN {w}.rest_link l ON l.record_key = m.record_key;

-- unify.person_value_source: one row per person of dtsen.person; for each value of dtsen.person
-- (and the person-level variables families use) the source it came from (person.sql's rules), in
-- <variable>_source and <variable>_source_record_id (NULL source: no record holds the value):
--   a person of Dukcapil takes nik, no_kk, nama, tgl_lahir, jenis_kelamin and kode_desa from
--   Dukcapil (source 'dukcapil'; the Dukcapil record is the one of the person's own NIK, so
--   source_record_id stays NULL rather than repeating the NIK); a person without a NIK from the record
--   that holds the value chosen, best by person.sql's order (DTKS, REGSOSEK, P3KE, then the smaller id);
--   pendidikan, status_bekerja, lapangan_usaha, kedudukan_kerja, disabilitas from the record that
--   holds the value chosen, REGSOSEK first, then P3KE, then DTKS (then the smaller id).
-- One row per person (not one per person and value): one GROUP BY over the records with a filtered
-- min per variable. A record's rank is the text '<priority>|<source>|<source_record_id>' (one digit of
-- priority, so text order is priority, then source, then id); the min over the records holding the
-- chosen value is the record picked, read back by unify_rank_source / unify_rank_record.
CREATE OR REPLACE TEMP MACRO unify_rank_source(rank) AS split_part(rank, '|', 2);
CREATE OR REPLACE TEMP MACRO unify_rank_record(rank) AS substr(rank, length(split_part(rank, '|', 2)) + 4);

CREATE OR REPLACE TABLE {person_value_source_table} AS
WITH records AS (
    SELECT rp.person_id, r.nama, r.tgl_lahir, r.jenis_kelamin, r.kode_desa, coalesce(f.kk_context, r.no_kk) AS no_kk,
           r.pendidikan, r.status_bekerja, r.lapangan_usaha, r.kedudukan_kerja, r.disabilitas,
           CASE r.source WHEN 'dtks' THEN 1 WHEN 'regsosek' THEN 2 ELSE 3 END || '|' || r.source || '|'
               || r.source_record_id AS identity_rank,
           CASE r.source WHEN 'regsosek' THEN 1 WHEN 'p3ke' THEN 2 ELSE 3 END || '|' || r.source || '|'
               || r.source_record_id AS attribute_rank
    FROM {w}.record_person rp
    JOIN {w}.record r USING (record_key)
    LEFT JOIN {w}.family_context f ON f.source = r.source AND f.source_family_id = r.source_family_id
), picked AS (
    SELECT c.person_id, c.dukcapil_key IS NOT NULL AS of_dukcapil,
           min(r.identity_rank) FILTER (WHERE c.dukcapil_key IS NULL AND r.no_kk = c.no_kk) AS no_kk,
           min(r.identity_rank) FILTER (WHERE c.dukcapil_key IS NULL AND r.nama = c.nama) AS nama,
           min(r.identity_rank) FILTER (WHERE c.dukcapil_key IS NULL AND r.tgl_lahir = c.tgl_lahir) AS tgl_lahir,
           min(r.identity_rank) FILTER (WHERE c.dukcapil_key IS NULL AND r.jenis_kelamin = c.jenis_kelamin) AS jenis_kelamin,
           min(r.identity_rank) FILTER (WHERE c.dukcapil_key IS NULL AND r.kode_desa = c.kode_desa) AS kode_desa,
           min(r.attribute_rank) FILTER (WHERE r.pendidikan = c.pendidikan) AS pendidikan,
           min(r.attribute_rank) FILTER (WHERE r.status_bekerja = c.status_bekerja) AS status_bekerja,
           min(r.attribute_rank) FILTER (WHERE r.lapangan_usaha = c.lapangan_usaha) AS lapangan_usaha,
           min(r.attribute_rank) FILTER (WHERE r.kedudukan_kerja = c.kedudukan_kerja) AS kedudukan_kerja,
           min(r.attribute_rank) FILTER (WHERE r.disabilitas = c.disabilitas) AS disabilitas
    FROM {w}.person_full c
    LEFT JOIN records r USING (person_id)
    GROUP BY c.person_id, c.dukcapil_key IS NOT NULL
)
SELECT person_id,
       CASE WHEN of_dukcapil THEN 'dukcapil' END AS nik_source,
       CASE WHEN of_dukcapil THEN 'dukcapil' ELSE unify_rank_source(no_kk) END AS no_kk_source,
       unify_rank_record(no_kk) AS no_kk_source_record_id,
       CASE WHEN of_dukcapil THEN 'dukcapil' ELSE unify_rank_source(nama) END AS nama_source,
       unify_rank_record(nama) AS nama_source_record_id,
       CASE WHEN of_dukcapil THEN 'dukcapil' ELSE unify_rank_source(tgl_lahir) END AS tgl_lahir_source,
       unify_rank_record(tgl_lahir) AS tgl_lahir_source_record_id,
       CASE WHEN of_dukcapil THEN 'dukcapil' ELSE unify_rank_source(jenis_kelamin) END AS jenis_kelamin_source,
       unify_rank_record(jenis_kelamin) AS jenis_kelamin_source_record_id,
       CASE WHEN of_dukcapil THEN 'dukcapil' ELSE unify_rank_source(kode_desa) END AS kode_desa_source,
       unify_rank_record(kode_desa) AS kode_desa_source_record_id,
       unify_rank_source(pendidikan) AS pendidikan_source, unify_rank_record(pendidikan) AS pendidikan_source_record_id,
       unify_rank_source(status_bekerja) AS status_bekerja_source,
       unify_rank_record(status_bekerja) AS status_bekerja_source_record_id,
       unify_rank_source(lapangan_usaha) AS lapangan_usaha_source,
       unify_rank_record(lapangan_usaha) AS lapangan_usaha_source_record_id,
       unify_rank_source(kedudukan_kerja) AS kedudukan_kerja_source,
       unify_rank_record(kedudukan_kerja) AS kedudukan_kerja_source_record_id,
       unify_rank_source(disabilitas) AS disabilitas_source, unify_rank_record(disabilitas) AS disabilitas_source_record_id
FROM picked;

-- unify.family_value_source: one row per family of dtsen.family, what its values came from:
--   a welfare variable (family.sql's survivorship): dtsen.family's <variable>_source names the
--   source; <source>_source_family_id is the source family that spoke for the family in that
--   source and <source>_tgl_update its update date;
--   a head-of-family variable (krt_*; families.HEAD_VARIABLES): the head, kepala_keluarga_person_id;
--   the composition (jumlah_art, art_*) and no_kk / kode_desa (families.MEMBER_VARIABLES): the
--   active members (nothing to store: the same for every family).
CREATE OR REPLACE TABLE {family_value_source_table} AS
SELECT f.family_id, any_value(h.person_id) AS kepala_keluarga_person_id,
       any_value(s.source_family_id) FILTER (WHERE s.source = 'dtks') AS dtks_source_family_id,
       any_value(s.tgl_update) FILTER (WHERE s.source = 'dtks') AS dtks_tgl_update,
       any_value(s.source_family_id) FILTER (WHERE s.source = 'regsosek') AS regsosek_source_family_id,
       any_value(s.tgl_update) FILTER (WHERE s.source = 'regsosek') AS regsosek_tgl_update,
       any_value(s.source_family_id) FILTER (WHERE s.source = 'p3ke') AS p3ke_source_family_id,
       any_value(s.tgl_update) FILTER (WHERE s.source = 'p3ke') AS p3ke_tgl_update
FROM {family_table} f
LEFT JOIN {w}.family_head h USING (family_id)
LEFT JOIN {w}.family_source s USING (family_id)
GROUP BY f.family_id;
