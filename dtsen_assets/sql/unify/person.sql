-- Persons: one per Dukcapil person some record resolved to, and one per cluster of the rest.
--
-- person_id (stable across runs and drops): 'P' + the first 16 hex digits of
-- sha256('<salt>|nik:<NIK>') for a person with a confirmed NIK, else 'R' + those of
-- sha256('<salt>|rec:<source>:<record id>') of the smallest record (source, then id) of its
-- cluster. The same person keeps the id as long as its NIK (or smallest record) does; a person
-- whose NIK is confirmed in a later drop moves from an R- to a P- id. The salt (config
-- person_id_salt) keeps ids from being traced back to NIKs by hashing candidate NIKs.
--
-- Identity of a person of Dukcapil (the authority): its NIK, current NO_KK (a re-issued card
-- replaces the old one), name, birth date, sex and current village (a move replaces the old
-- one). Of a person without a NIK: its records', the record with a birth date first, then DTKS,
-- REGSOSEK, P3KE, then the smaller id; its card is the current card its source family was
-- confirmed on (family_context.sql), else the card the source shows.
-- Person-level variables (education, work, disability) come from its records: REGSOSEK first,
-- then P3KE, then DTKS.
-- status_padan: PADAN when the person is a living Dukcapil person, else TIDAK_PADAN.
-- is_active: false for a person Dukcapil records as dead (inactive_reason 'meninggal_dukcapil').
CREATE OR REPLACE TABLE {w}.record_person AS
SELECT m.*,
       CASE WHEN m.person_anchor LIKE 'nik:%' THEN 'P' ELSE 'R' END
           || upper(left(sha256({salt} || '|' || m.person_anchor), 16)) AS person_id
FROM {w}.record_match m
WHERE m.person_anchor IS NOT NULL;

CREATE OR REPLACE TABLE {w}.person_attr AS
WITH records AS (
    SELECT p.person_id, p.dukcapil_key, r.*, f.kk_context,
           CASE r.source WHEN 'regsosek' THEN 1 WHEN 'p3ke' THEN 2 ELSE 3 END AS variable_priority,
           CASE r.source WHEN 'dtks' THEN 1 WHEN 'regsosek' THEN 2 ELSE 3 END AS identity_priority
    FROM {w}.record_person p
    JOIN {w}.record r USING (record_key)
    LEFT JOIN {w}.family_context f ON f.source = r.source AND f.source_family_id = r.source_family_id
)
SELECT
    person_id,
    any_value(dukcapil_key) AS dukcapil_key,
    count(*) AS records,
    arg_min(pendidikan, variable_priority) FILTER (WHERE pendidikan IS NOT NULL) AS pendidikan,
    arg_min(status_bekerja, variable_priority) FILTER (WHERE status_bekerja IS NOT NULL) AS status_bekerja,
    arg_min(lapangan_usaha, variable_priority) FILTER (WHERE lapangan_usaha IS NOT NULL) AS lapangan_usaha,
    arg_min(kedudukan_kerja, variable_priority) FILTER (WHERE kedudukan_kerja IS NOT NULL) AS kedudukan_kerja,
    arg_min(disabilitas, variable_priority) FILTER (WHERE disabilitas IS NOT NULL) AS disabilitas,
    bool_or(hub_kk = 'kepala_keluarga') AS head_in_source,
    -- identity of a person without a NIK: its best record
    arg_min(nama, [(tgl_lahir IS NULL)::INT, identity_priority]) AS rec_nama,
    arg_min(tgl_lahir, [identity_priority]) FILTER (WHERE tgl_lahir IS NOT NULL) AS rec_tgl_lahir,
    arg_min(jenis_kelamin, [identity_priority]) FILTER (WHERE jenis_kelamin IS NOT NULL) AS rec_jenis_kelamin,
    arg_min(umur, [identity_priority]) FILTER (WHERE umur IS NOT NULL) AS rec_umur,
    arg_min(kode_desa, [(kode_desa IS NULL)::INT, identity_priority]) AS rec_kode_desa,
    arg_min(coalesce(kk_context, no_kk), [(coalesce(kk_context, no_kk) IS NULL)::INT, identity_priority]) AS rec_no_kk,
    arg_min(source || ':' || source_family_id, [identity_priority]) AS rec_source_family
FROM records
GROUP BY person_id;

CREATE OR REPLACE TABLE {w}.person_full AS
SELECT
    a.person_id,
    a.dukcapil_key,
    d.nik,
    CASE WHEN d.dukcapil_key IS NOT NULL THEN d.no_kk ELSE a.rec_no_kk END AS no_kk,
    CASE WHEN d.dukcapil_key IS NOT NULL THEN d.nama ELSE a.rec_nama END AS nama,
    CASE WHEN d.dukcapil_key IS NOT NULL THEN d.tgl_lahir ELSE a.rec_tgl_lahir END AS tgl_lahir,
    CASE WHEN d.dukcapil_key IS NOT NULL THEN d.jenis_kelamin ELSE a.rec_jenis_kelamin END AS jenis_kelamin,
    CASE WHEN d.dukcapil_key IS NOT NULL THEN d.kode_desa ELSE a.rec_kode_desa END AS kode_desa,
    CASE WHEN d.dukcapil_key IS NOT NULL AND d.is_alive THEN 'PADAN' ELSE 'TIDAK_PADAN' END AS status_padan,
    NOT coalesce(d.dukcapil_key IS NOT NULL AND NOT d.is_alive, false) AS is_active,
    CASE WHEN d.dukcapil_key IS NOT NULL AND NOT d.is_alive THEN 'meninggal_dukcapil' END AS inactive_reason,
    d.hub_kk AS hub_kk_dukcapil,
    a.head_in_source,
    a.rec_umur, a.records,
    a.pendidikan, a.status_bekerja, a.lapangan_usaha, a.kedudukan_kerja, a.disabilitas,
    CASE
        WHEN d.dukcapil_key IS NOT NULL AND d.no_kk IS NOT NULL THEN 'kk:' || d.no_kk
        WHEN d.dukcapil_key IS NULL AND a.rec_no_kk IS NOT NULL THEN 'kk:' || a.rec_no_kk
        ELSE 'fam:' || a.rec_source_family
    END AS family_anchor
FROM {w}.person_attr a
LEFT JOIN {w}.dukcapil d ON d.dukcapil_key = a.dukcapil_key;
