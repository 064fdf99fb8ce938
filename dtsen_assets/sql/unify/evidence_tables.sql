-- The evidence behind unify's decisions, staged for publication with the other unify tables
-- (internal tables, read by `python -m dtsen_assets.explain`; docs/audit.md). Built from the
-- working tables of this run before they are dropped, never recomputed afterwards.
--
-- unify.match_evidence: one row per source person record, how it was linked.
--   own_nik_status / own_nik_name_score: step 1 (padan_exact.sql), when the record's own NIK is a
--     Dukcapil NIK: 'confirmed' or why not (sex_differs, name_differs, date_differs, identity_differs).
--   chosen_* / runner_up_*: step 2 (search_resolve.sql): the best candidate and the next one, their
--     match weight (bits), posterior, and per field the level and its weight (field_evidence);
--     agreeing_fields / disagreeing_fields: the fields whose weight is positive / negative.
--   nik_verivali: the NIK a village meeting gave for the record (PERBAIKAN_NIK), if any.
--   linked_posterior / linked_match_weight: rest_link.sql, a record joined to another record's person.
--   nik_dukcapil: the NIK of the Dukcapil person the record became (NULL when none); nik_raw: the
--   NIK as the record wrote it; nik_chosen / nik_runner_up: the two best candidates' NIKs.
CREATE OR REPLACE TABLE {match_evidence_table} AS
SELECT
    m.source, m.source_record_id, rp.person_id, m.match_method, m.match_score::DOUBLE AS match_score,
    m.reject_reason, m.unmatched_reason,
    CASE
        WHEN m.match_method IN ('exact_nik', 'cleaned_nik') THEN 'padan_nik_sendiri'
        WHEN es.record_key IS NOT NULL AND m.dukcapil_key IS NOT NULL AND m.match_method <> 'linked_record' THEN 'padan_pencarian'
        WHEN m.match_method = 'linked_record' THEN 'tautan_record_lain'
        WHEN m.match_method = 'probabilistic_cluster' THEN 'klaster_probabilistik'
        ELSE 'tidak_tertaut'
    END AS step,
    d.nik AS nik_dukcapil,
    r.nik_raw,
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
JOIN {w}.record r USING (record_key)
LEFT JOIN {w}.record_person rp USING (record_key)
LEFT JOIN {w}.dukcapil d ON d.dukcapil_key = m.dukcapil_key
LEFT JOIN {w}.exact_pair ep ON ep.record_key = m.record_key
LEFT JOIN {w}.nik_claim c ON c.record_key = m.record_key
LEFT JOIN {w}.evidence_search es ON es.record_key = m.record_key
LEFT JOIN {w}.rest_link l ON l.record_key = m.record_key;

-- unify.person_value_source: for every person and each value of dtsen.person (and the person-level
-- variables families use), the source it came from (person.sql's rules):
--   a person of Dukcapil takes nik, no_kk, nama, tgl_lahir, jenis_kelamin and kode_desa from
--   Dukcapil (source 'dukcapil'; the Dukcapil record is the one of the person's own NIK, so
--   source_record_id stays NULL rather than repeating the NIK); a person without a NIK from the record
--   that holds the value chosen, best by person.sql's order (DTKS, REGSOSEK, P3KE, then the smaller id);
--   pendidikan, status_bekerja, lapangan_usaha, kedudukan_kerja, disabilitas from the record that
--   holds the value chosen, REGSOSEK first, then P3KE, then DTKS.
CREATE OR REPLACE TABLE {person_value_source_table} AS
WITH records AS (
    SELECT rp.person_id, r.*, f.kk_context,
           CASE r.source WHEN 'dtks' THEN 1 WHEN 'regsosek' THEN 2 ELSE 3 END AS identity_priority,
           CASE r.source WHEN 'regsosek' THEN 1 WHEN 'p3ke' THEN 2 ELSE 3 END AS attribute_priority
    FROM {w}.record_person rp
    JOIN {w}.record r USING (record_key)
    LEFT JOIN {w}.family_context f ON f.source = r.source AND f.source_family_id = r.source_family_id
), chosen AS (
    SELECT p.person_id, p.dukcapil_key, p.nik, p.no_kk, p.nama, p.tgl_lahir, p.jenis_kelamin, p.kode_desa,
           p.pendidikan, p.status_bekerja, p.lapangan_usaha, p.kedudukan_kerja, p.disabilitas
    FROM {w}.person_full p
), identity_long AS (
    SELECT c.person_id, v.variabel,
           CASE WHEN c.dukcapil_key IS NOT NULL THEN 'dukcapil' END AS dukcapil_source
    FROM chosen c
    CROSS JOIN (VALUES ('nik'), ('no_kk'), ('nama'), ('tgl_lahir'), ('jenis_kelamin'), ('kode_desa')) AS v(variabel)
), from_record AS (
    SELECT c.person_id, x.variabel,
           min(x.priority || '|' || r.source || '|' || r.source_record_id) AS picked
    FROM chosen c
    JOIN records r USING (person_id)
    CROSS JOIN LATERAL (VALUES
        ('no_kk', coalesce(r.kk_context, r.no_kk) = c.no_kk, r.identity_priority),
        ('nama', r.nama = c.nama, r.identity_priority),
        ('tgl_lahir', r.tgl_lahir = c.tgl_lahir, r.identity_priority),
        ('jenis_kelamin', r.jenis_kelamin = c.jenis_kelamin, r.identity_priority),
        ('kode_desa', r.kode_desa = c.kode_desa, r.identity_priority),
        ('pendidikan', r.pendidikan = c.pendidikan, r.attribute_priority),
        ('status_bekerja', r.status_bekerja = c.status_bekerja, r.attribute_priority),
        ('lapangan_usaha', r.lapangan_usaha = c.lapangan_usaha, r.attribute_priority),
        ('kedudukan_kerja', r.kedudukan_kerja = c.kedudukan_kerja, r.attribute_priority),
        ('disabilitas', r.disabilitas = c.disabilitas, r.attribute_priority)
    ) AS x(variabel, holds, priority)
    WHERE x.holds AND (c.dukcapil_key IS NULL OR x.variabel NOT IN ('no_kk', 'nama', 'tgl_lahir', 'jenis_kelamin', 'kode_desa'))
    GROUP BY c.person_id, x.variabel
)
SELECT i.person_id, i.variabel, 'dukcapil' AS source, NULL::VARCHAR AS source_record_id
FROM identity_long i JOIN chosen c USING (person_id)
WHERE i.dukcapil_source IS NOT NULL
UNION ALL
SELECT person_id, variabel, split_part(picked, '|', 2) AS source,
       substr(picked, length(split_part(picked, '|', 1)) + length(split_part(picked, '|', 2)) + 3) AS source_record_id
FROM from_record;

-- unify.family_value_source: for every family and each value of dtsen.family, where it came from:
--   a welfare variable (family.sql's survivorship): its <variable>_source and the source family
--   (source_family_id) that spoke for the family in that source;
--   a head-of-family variable (krt_*): the head's person_id (source 'kepala_keluarga');
--   the composition (jumlah_art, art_*): counted from the active members (source 'anggota_aktif');
--   no_kk / kode_desa: the members' current card and commonest village (source 'anggota_aktif').
CREATE OR REPLACE TABLE {family_value_source_table} AS
WITH welfare_long AS (
    UNPIVOT (SELECT family_id, {source_columns} FROM {family_table})
    ON COLUMNS(* EXCLUDE (family_id)) INTO NAME source_column VALUE source
)
SELECT l.family_id, left(l.source_column, length(l.source_column) - 7) AS variabel, l.source,
       s.source_family_id AS source_id, s.tgl_update
FROM welfare_long l
LEFT JOIN {w}.family_source s ON s.family_id = l.family_id AND s.source = l.source
UNION ALL
SELECT h.family_id, v.variabel, 'kepala_keluarga', h.person_id, NULL::DATE
FROM {w}.family_head h
SEMI JOIN {family_table} f ON f.family_id = h.family_id
CROSS JOIN (VALUES ('krt_jenis_kelamin'), ('krt_umur'), ('krt_pendidikan'), ('krt_status_bekerja'),
                   ('krt_lapangan_usaha'), ('krt_kedudukan_kerja')) AS v(variabel)
UNION ALL
SELECT f.family_id, v.variabel, 'anggota_aktif', NULL, NULL::DATE
FROM {family_table} f
CROSS JOIN (VALUES ('no_kk'), ('kode_desa'), ('jumlah_art'), ('art_balita'), ('art_sekolah'), ('art_lansia'),
                   ('art_disabilitas')) AS v(variabel);
