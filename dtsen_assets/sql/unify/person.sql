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
-- left to arg_min would let two runs of the same drop publish different values). The order is one
-- integer, attribute_key = priority * 2^40 + the record's rank by source_record_id within its source
-- (the priority is the source's): the same order as (priority, source_record_id), compared as a
-- number (an aggregate over ten million persons keyed by a text pair runs twice as long; ranked per
-- source, the three sorts run side by side: 5.2 s against 7.4 s for 15M records). The rank is taken
-- over the narrow (record_key, source, source_record_id) and joined to the values: a window sorts
-- every column it carries (10M persons: the statement 31.6-32.5 s against 43.2 s). Each value is
-- kept with the record it came from: <v>_source from the key's priority, and <v>_key, the key of
-- that record. Only the record id of the person's first record is carried (first_record_id): for
-- 98% of persons every value comes from it (1M drop), and a text per variable in this aggregate
-- would cost as much as the values (person_value_source below looks the others up).
CREATE OR REPLACE TABLE {w}.person_attr AS
WITH ranked AS (
    SELECT record_key,
           CASE source WHEN 'regsosek' THEN 1 WHEN 'p3ke' THEN 2 WHEN 'dtks' THEN 3 END * 1099511627776
               + row_number() OVER (PARTITION BY source ORDER BY source_record_id) AS attribute_key
    FROM {w}.record_person
    WHERE source IN ('regsosek', 'p3ke', 'dtks')
), keyed AS (
    SELECT rp.person_id, rp.dukcapil_key, r.source_record_id, r.hub_kk,
           r.pendidikan, r.status_bekerja, r.lapangan_usaha, r.kedudukan_kerja, r.disabilitas, k.attribute_key
    FROM ranked k
    JOIN {w}.record_person rp USING (record_key)
    JOIN {w}.record r USING (record_key)
), picked AS (
    SELECT
        person_id,
        any_value(dukcapil_key) AS dukcapil_key,
        arg_min(pendidikan, attribute_key) FILTER (WHERE pendidikan IS NOT NULL) AS pendidikan,
        min(attribute_key) FILTER (WHERE pendidikan IS NOT NULL) AS pendidikan_key,
        arg_min(status_bekerja, attribute_key) FILTER (WHERE status_bekerja IS NOT NULL) AS status_bekerja,
        min(attribute_key) FILTER (WHERE status_bekerja IS NOT NULL) AS status_bekerja_key,
        arg_min(lapangan_usaha, attribute_key) FILTER (WHERE lapangan_usaha IS NOT NULL) AS lapangan_usaha,
        min(attribute_key) FILTER (WHERE lapangan_usaha IS NOT NULL) AS lapangan_usaha_key,
        arg_min(kedudukan_kerja, attribute_key) FILTER (WHERE kedudukan_kerja IS NOT NULL) AS kedudukan_kerja,
        min(attribute_key) FILTER (WHERE kedudukan_kerja IS NOT NULL) AS kedudukan_kerja_key,
        arg_min(disabilitas, attribute_key) FILTER (WHERE disabilitas IS NOT NULL) AS disabilitas,
        min(attribute_key) FILTER (WHERE disabilitas IS NOT NULL) AS disabilitas_key,
        min(attribute_key) AS first_key,
        arg_min(source_record_id, attribute_key) AS first_record_id,
        bool_or(hub_kk = 'kepala_keluarga') AS head_in_source
    FROM keyed
    GROUP BY person_id
)
SELECT person_id, dukcapil_key, head_in_source,
       pendidikan, status_bekerja, lapangan_usaha, kedudukan_kerja, disabilitas,
       pendidikan_key, status_bekerja_key, lapangan_usaha_key, kedudukan_kerja_key, disabilitas_key,
       first_key, first_record_id,
       ['regsosek', 'p3ke', 'dtks'][pendidikan_key // 1099511627776] AS pendidikan_source,
       ['regsosek', 'p3ke', 'dtks'][status_bekerja_key // 1099511627776] AS status_bekerja_source,
       ['regsosek', 'p3ke', 'dtks'][lapangan_usaha_key // 1099511627776] AS lapangan_usaha_source,
       ['regsosek', 'p3ke', 'dtks'][kedudukan_kerja_key // 1099511627776] AS kedudukan_kerja_source,
       ['regsosek', 'p3ke', 'dtks'][disabilitas_key // 1099511627776] AS disabilitas_source
FROM picked;

-- identity of a person without a NIK, from its records: the one with a birth date first, then
-- DTKS, REGSOSEK, P3KE, then the smaller record id; each value with the record it came from
CREATE OR REPLACE TABLE {w}.person_identity AS
WITH records AS (
    SELECT rp.person_id, r.*, coalesce(f.kk_context, r.no_kk) AS kk,
           CASE r.source WHEN 'dtks' THEN 1 WHEN 'regsosek' THEN 2 ELSE 3 END AS identity_priority
    FROM {w}.record_person rp
    JOIN {w}.record r USING (record_key)
    LEFT JOIN {w}.family_context f ON f.source = r.source AND f.source_family_id = r.source_family_id
    WHERE rp.dukcapil_key IS NULL
), picked AS (
    SELECT
        person_id,
        arg_min({v: nama, s: source, id: source_record_id}, ((tgl_lahir IS NULL)::INT, identity_priority, source_record_id)) AS nama,
        arg_min({v: tgl_lahir, s: source, id: source_record_id}, (identity_priority, source_record_id)) FILTER (WHERE tgl_lahir IS NOT NULL) AS tgl_lahir,
        arg_min({v: jenis_kelamin, s: source, id: source_record_id}, (identity_priority, source_record_id)) FILTER (WHERE jenis_kelamin IS NOT NULL) AS jenis_kelamin,
        arg_min({v: kode_desa, s: source, id: source_record_id}, (identity_priority, source_record_id)) FILTER (WHERE kode_desa IS NOT NULL) AS kode_desa,
        arg_min({v: kk, s: source, id: source_record_id}, (identity_priority, source_record_id)) FILTER (WHERE kk IS NOT NULL) AS no_kk,
        arg_min(source || ':' || source_family_id, (identity_priority, source_record_id)) AS rec_source_family
    FROM records
    GROUP BY person_id
)
SELECT person_id, rec_source_family,
       p.nama.v AS rec_nama, p.tgl_lahir.v AS rec_tgl_lahir, p.jenis_kelamin.v AS rec_jenis_kelamin,
       p.kode_desa.v AS rec_kode_desa, p.no_kk.v AS rec_no_kk,
       -- the record a name came from only when it gave one (a person's record without a birth date
       -- and without a name gives no name)
       CASE WHEN p.nama.v IS NOT NULL THEN p.nama.s END AS nama_source,
       CASE WHEN p.nama.v IS NOT NULL THEN p.nama.id END AS nama_source_record_id,
       p.tgl_lahir.s AS tgl_lahir_source, p.tgl_lahir.id AS tgl_lahir_source_record_id,
       p.jenis_kelamin.s AS jenis_kelamin_source, p.jenis_kelamin.id AS jenis_kelamin_source_record_id,
       p.kode_desa.s AS kode_desa_source, p.kode_desa.id AS kode_desa_source_record_id,
       p.no_kk.s AS no_kk_source, p.no_kk.id AS no_kk_source_record_id
FROM picked p;

-- Where each value of the person came from (published as unify.person_value_source by
-- evidence_tables.sql): a person of Dukcapil takes its identity from Dukcapil (source 'dukcapil';
-- the Dukcapil record is the one of the person's own NIK, so no record id); otherwise the record
-- each value was taken from above; NULL where no record holds the value.
CREATE OR REPLACE TABLE {w}.person_value_source AS
WITH elsewhere AS (
    -- persons with a value not from their first record (about 2%, e.g. a REGSOSEK record without
    -- the disability answer): person_attr chose the value's source, so the record is that source's
    -- smallest record id holding a value (the tie rule of attribute_key)
    SELECT a.person_id,
           min(r.source_record_id) FILTER (WHERE r.source = a.pendidikan_source AND r.pendidikan IS NOT NULL) AS pendidikan,
           min(r.source_record_id) FILTER (WHERE r.source = a.status_bekerja_source AND r.status_bekerja IS NOT NULL) AS status_bekerja,
           min(r.source_record_id) FILTER (WHERE r.source = a.lapangan_usaha_source AND r.lapangan_usaha IS NOT NULL) AS lapangan_usaha,
           min(r.source_record_id) FILTER (WHERE r.source = a.kedudukan_kerja_source AND r.kedudukan_kerja IS NOT NULL) AS kedudukan_kerja,
           min(r.source_record_id) FILTER (WHERE r.source = a.disabilitas_source AND r.disabilitas IS NOT NULL) AS disabilitas
    FROM {w}.person_attr a
    JOIN {w}.record_person rp USING (person_id)
    JOIN {w}.record r USING (record_key)
    WHERE a.pendidikan_key <> a.first_key OR a.status_bekerja_key <> a.first_key OR a.lapangan_usaha_key <> a.first_key
       OR a.kedudukan_kerja_key <> a.first_key OR a.disabilitas_key <> a.first_key
    GROUP BY a.person_id
)
SELECT
    a.person_id,
    CASE WHEN a.dukcapil_key IS NOT NULL THEN 'dukcapil' END AS nik_source,
    CASE WHEN a.dukcapil_key IS NOT NULL THEN 'dukcapil' ELSE i.no_kk_source END AS no_kk_source,
    i.no_kk_source_record_id,
    CASE WHEN a.dukcapil_key IS NOT NULL THEN 'dukcapil' ELSE i.nama_source END AS nama_source,
    i.nama_source_record_id,
    CASE WHEN a.dukcapil_key IS NOT NULL THEN 'dukcapil' ELSE i.tgl_lahir_source END AS tgl_lahir_source,
    i.tgl_lahir_source_record_id,
    CASE WHEN a.dukcapil_key IS NOT NULL THEN 'dukcapil' ELSE i.jenis_kelamin_source END AS jenis_kelamin_source,
    i.jenis_kelamin_source_record_id,
    CASE WHEN a.dukcapil_key IS NOT NULL THEN 'dukcapil' ELSE i.kode_desa_source END AS kode_desa_source,
    i.kode_desa_source_record_id,
    a.pendidikan_source, CASE WHEN a.pendidikan_key = a.first_key THEN a.first_record_id ELSE e.pendidikan END AS pendidikan_source_record_id,
    a.status_bekerja_source, CASE WHEN a.status_bekerja_key = a.first_key THEN a.first_record_id ELSE e.status_bekerja END AS status_bekerja_source_record_id,
    a.lapangan_usaha_source, CASE WHEN a.lapangan_usaha_key = a.first_key THEN a.first_record_id ELSE e.lapangan_usaha END AS lapangan_usaha_source_record_id,
    a.kedudukan_kerja_source, CASE WHEN a.kedudukan_kerja_key = a.first_key THEN a.first_record_id ELSE e.kedudukan_kerja END AS kedudukan_kerja_source_record_id,
    a.disabilitas_source, CASE WHEN a.disabilitas_key = a.first_key THEN a.first_record_id ELSE e.disabilitas END AS disabilitas_source_record_id
FROM {w}.person_attr a
LEFT JOIN {w}.person_identity i USING (person_id)
LEFT JOIN elsewhere e USING (person_id);

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
        a.head_in_source, a.first_key,
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
