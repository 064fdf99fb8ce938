-- Persons: one per Dukcapil person some record resolved to, and one per cluster of the rest.
--
-- person_id: made by person_key.sql (a keyed hash of the person's anchor, kept stable across
-- drops through the id history; see dtsen_assets/unify/ids.py).
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
SELECT m.record_key, m.source, m.source_record_id, m.source_family_id, m.dukcapil_key, k.person_id
FROM {w}.record_match m
JOIN {w}.person_key k USING (person_anchor);

-- person-level variables: REGSOSEK first, then P3KE, then DTKS, then the smaller record id (a tie
-- left to arg_min would let two runs of the same drop publish different values)
CREATE OR REPLACE TABLE {w}.person_attr AS
SELECT
    rp.person_id,
    any_value(rp.dukcapil_key) AS dukcapil_key,
    arg_min(r.pendidikan, (p.priority, r.source_record_id)) FILTER (WHERE r.pendidikan IS NOT NULL) AS pendidikan,
    arg_min(r.status_bekerja, (p.priority, r.source_record_id)) FILTER (WHERE r.status_bekerja IS NOT NULL) AS status_bekerja,
    arg_min(r.lapangan_usaha, (p.priority, r.source_record_id)) FILTER (WHERE r.lapangan_usaha IS NOT NULL) AS lapangan_usaha,
    arg_min(r.kedudukan_kerja, (p.priority, r.source_record_id)) FILTER (WHERE r.kedudukan_kerja IS NOT NULL) AS kedudukan_kerja,
    arg_min(r.disabilitas, (p.priority, r.source_record_id)) FILTER (WHERE r.disabilitas IS NOT NULL) AS disabilitas,
    bool_or(r.hub_kk = 'kepala_keluarga') AS head_in_source
FROM {w}.record_person rp
JOIN {w}.record r USING (record_key)
JOIN (VALUES ('regsosek', 1), ('p3ke', 2), ('dtks', 3)) AS p(source, priority) ON p.source = r.source
GROUP BY rp.person_id;

-- identity of a person without a NIK, from its records: the one with a birth date first, then
-- DTKS, REGSOSEK, P3KE, then the smaller record id
CREATE OR REPLACE TABLE {w}.person_identity AS
WITH records AS (
    SELECT rp.person_id, r.*, f.kk_context,
           CASE r.source WHEN 'dtks' THEN 1 WHEN 'regsosek' THEN 2 ELSE 3 END AS identity_priority
    FROM {w}.record_person rp
    JOIN {w}.record r USING (record_key)
    LEFT JOIN {w}.family_context f ON f.source = r.source AND f.source_family_id = r.source_family_id
    WHERE rp.dukcapil_key IS NULL
)
SELECT
    person_id,
    arg_min(nama, ((tgl_lahir IS NULL)::INT, identity_priority, source_record_id)) AS rec_nama,
    arg_min(tgl_lahir, (identity_priority, source_record_id)) FILTER (WHERE tgl_lahir IS NOT NULL) AS rec_tgl_lahir,
    arg_min(jenis_kelamin, (identity_priority, source_record_id)) FILTER (WHERE jenis_kelamin IS NOT NULL) AS rec_jenis_kelamin,
    arg_min(kode_desa, (identity_priority, source_record_id)) FILTER (WHERE kode_desa IS NOT NULL) AS rec_kode_desa,
    arg_min(coalesce(kk_context, no_kk), (identity_priority, source_record_id)) FILTER (WHERE coalesce(kk_context, no_kk) IS NOT NULL) AS rec_no_kk,
    arg_min(source || ':' || source_family_id, (identity_priority, source_record_id)) AS rec_source_family
FROM records
GROUP BY person_id;

-- family_anchor: what the person's family is (family.sql): its current card, else its source
-- family; family_candidate is that family's id, made here (a keyed hash like person_id, computed per
-- person rather than per distinct anchor and joined back: no second copy of every person), and
-- umur_now the age at {as_of} family composition counts with.
CREATE OR REPLACE TABLE {w}.person_full AS
WITH person AS (
    SELECT
        a.person_id,
        a.dukcapil_key,
        d.nik,
        CASE WHEN d.dukcapil_key IS NOT NULL THEN d.no_kk ELSE i.rec_no_kk END AS no_kk,
        CASE WHEN d.dukcapil_key IS NOT NULL THEN d.nama ELSE i.rec_nama END AS nama,
        CASE WHEN d.dukcapil_key IS NOT NULL THEN d.tgl_lahir ELSE i.rec_tgl_lahir END AS tgl_lahir,
        CASE WHEN d.dukcapil_key IS NOT NULL THEN d.jenis_kelamin ELSE i.rec_jenis_kelamin END AS jenis_kelamin,
        CASE WHEN d.dukcapil_key IS NOT NULL THEN d.kode_desa ELSE i.rec_kode_desa END AS kode_desa,
        CASE WHEN d.dukcapil_key IS NOT NULL AND d.is_alive THEN 'PADAN' ELSE 'TIDAK_PADAN' END AS status_padan,
        NOT coalesce(d.dukcapil_key IS NOT NULL AND NOT d.is_alive, false) AS is_active,
        CASE WHEN d.dukcapil_key IS NOT NULL AND NOT d.is_alive THEN 'meninggal_dukcapil' END AS inactive_reason,
        d.hub_kk AS hub_kk_dukcapil,
        a.head_in_source,
        a.pendidikan, a.status_bekerja, a.lapangan_usaha, a.kedudukan_kerja, a.disabilitas,
        CASE
            WHEN d.dukcapil_key IS NOT NULL AND d.no_kk IS NOT NULL THEN 'kk:' || d.no_kk
            WHEN d.dukcapil_key IS NULL AND i.rec_no_kk IS NOT NULL THEN 'kk:' || i.rec_no_kk
            WHEN d.dukcapil_key IS NOT NULL THEN 'fam:nik:' || d.nik
            ELSE 'fam:' || i.rec_source_family
        END AS family_anchor
    FROM {w}.person_attr a
    LEFT JOIN {w}.person_identity i USING (person_id)
    LEFT JOIN {w}.dukcapil d ON d.dukcapil_key = a.dukcapil_key
)
SELECT *,
       CASE WHEN family_anchor LIKE 'kk:%' THEN 'F' ELSE 'G' END
           || upper(left(sha256(getvariable('dtsen_id_key') || '|' || family_anchor), 16)) AS family_candidate,
       CASE WHEN tgl_lahir IS NOT NULL THEN date_sub('year', tgl_lahir, DATE '{as_of}') END AS umur_now
FROM person;
