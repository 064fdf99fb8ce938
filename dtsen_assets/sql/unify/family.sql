-- Families: one per current family card (NO_KK) with at least one active member.
-- A person's family is the card Dukcapil has it on today (person.sql); a person without a NIK
-- keeps its source family's card, and one without any card a family of its own source family.
-- family_id: 'F' + 16 hex digits of sha256('<key>|kk:<NO_KK>'), or 'G' + those of
-- sha256('<key>|fam:<source>:<source family id>') for a family without a known card; <key> is
-- the warehouse's secret id key, the session variable dtsen_id_key (dtsen_assets/unify/ids.py);
-- person.sql makes it for every person (family_candidate).
-- Members are the active persons; jumlah_art counts them. Composition (ages at {as_of}):
-- art_balita 0-4, art_sekolah 7-18, art_lansia 60+, art_disabilitas (disabilitas 'ya').
-- Head of family (krt_*): the active member Dukcapil records as KEPALA KELUARGA, else one a
-- source lists as head, else the oldest (earliest birth date); ties by the member's first record
-- (person.sql's first_key: REGSOSEK, P3KE, DTKS, then the record id). Never by person_id: it is a
-- keyed hash, and a tie decided by it would change with the warehouse's secret key.
-- Welfare variables: each source family belongs to the family most of its records' persons are
-- in (a tie: the family of the source family's own card, then the family of its record listed
-- first in the drop; never by family_id, a keyed hash); per source, the source family with most
-- such records (then the latest DTKS update, then the smaller id) speaks for the family.
-- Per variable, the first non-empty value of
--   DTKS when its TGL_UPDATE is after REGSOSEK ({regsosek_date}), then REGSOSEK, then DTKS, then P3KE
-- is taken, and <variable>_source says which source it came from.
-- the members: the active persons (family_candidate and umur_now are made in person.sql)
CREATE OR REPLACE VIEW {w}.family_member AS
SELECT family_candidate AS family_id, family_anchor, person_id, nik, no_kk, kode_desa, jenis_kelamin, umur_now,
       tgl_lahir, first_key, hub_kk_dukcapil, head_in_source, pendidikan, status_bekerja, lapangan_usaha,
       kedudukan_kerja, disabilitas
FROM {w}.person_full
WHERE is_active;

-- the head: chosen over the narrow member rows, then its values read (a window sorts every column
-- it carries: 10M persons, 4.9 s against 7.1 s)
CREATE OR REPLACE TABLE {w}.family_head AS
WITH head AS (
    SELECT family_id, person_id
    FROM {w}.family_member
    QUALIFY row_number() OVER (PARTITION BY family_id ORDER BY coalesce(hub_kk_dukcapil = 'kepala_keluarga', false) DESC,
                               coalesce(head_in_source, false) DESC, umur_now DESC NULLS LAST,
                               tgl_lahir NULLS LAST, first_key) = 1
)
SELECT h.family_id, h.person_id, p.jenis_kelamin, p.umur_now, p.pendidikan, p.status_bekerja, p.lapangan_usaha,
       p.kedudukan_kerja
FROM head h
JOIN {w}.person_full p USING (person_id);

CREATE OR REPLACE TABLE {w}.family_base AS
SELECT
    family_id,
    CASE WHEN any_value(family_anchor) LIKE 'kk:%' THEN substr(any_value(family_anchor), 4) END AS no_kk,
    mode(kode_desa ORDER BY kode_desa) AS kode_desa,
    count(*)::INTEGER AS jumlah_art,
    count(*) FILTER (WHERE umur_now BETWEEN 0 AND 4)::INTEGER AS art_balita,
    count(*) FILTER (WHERE umur_now BETWEEN 7 AND 18)::INTEGER AS art_sekolah,
    count(*) FILTER (WHERE umur_now >= 60)::INTEGER AS art_lansia,
    count(*) FILTER (WHERE disabilitas = 'ya')::INTEGER AS art_disabilitas
FROM {w}.family_member
GROUP BY family_id;

-- the source families' welfare variables, read once from the warehouse
CREATE OR REPLACE TABLE {w}.family_record AS
SELECT source, source_family_id, no_kk, tgl_update, {welfare_list}
FROM staging.family_record;

-- source family -> family (by its records' persons), then the one source family per source that speaks
CREATE OR REPLACE TABLE {w}.family_source AS
WITH votes AS (
    -- first_record: the record of the source family listed first in the drop (record_key is its line)
    -- (family_anchor is one per family_candidate, its hash: carried, not grouped on)
    SELECT rp.source, rp.source_family_id, pf.family_candidate AS family_id, any_value(pf.family_anchor) AS family_anchor,
           count(*) AS records, min(rp.record_key) AS first_record
    FROM {w}.record_person rp
    JOIN {w}.person_full pf USING (person_id)
    WHERE pf.is_active
    GROUP BY rp.source, rp.source_family_id, pf.family_candidate
), assigned AS (
    SELECT v.family_id, v.source, v.source_family_id, v.records, f.tgl_update
    FROM votes v
    JOIN {w}.family_record f ON f.source = v.source AND f.source_family_id = v.source_family_id
    QUALIFY row_number() OVER (PARTITION BY v.source, v.source_family_id
                               ORDER BY v.records DESC, coalesce(v.family_anchor = 'kk:' || f.no_kk, false) DESC,
                                        v.first_record) = 1
)
SELECT family_id, source, source_family_id, records, tgl_update
FROM assigned
QUALIFY row_number() OVER (PARTITION BY family_id, source
                           ORDER BY records DESC, tgl_update DESC NULLS LAST, source_family_id) = 1;

CREATE OR REPLACE TABLE {family_table} AS
WITH speaking AS (
    SELECT b.family_id,
           max(CASE WHEN s.source = 'regsosek' THEN s.source_family_id END) AS regsosek_id,
           max(CASE WHEN s.source = 'dtks' THEN s.source_family_id END) AS dtks_id,
           max(CASE WHEN s.source = 'p3ke' THEN s.source_family_id END) AS p3ke_id,
           coalesce(max(CASE WHEN s.source = 'dtks' THEN s.tgl_update END) > DATE '{regsosek_date}', false) AS dtks_newer
    FROM {w}.family_base b
    LEFT JOIN {w}.family_source s USING (family_id)
    GROUP BY b.family_id
)
SELECT
    b.family_id, b.no_kk, b.kode_desa, left(b.kode_desa, 4) AS kode_kab, b.jumlah_art,
    b.art_balita, b.art_sekolah, b.art_lansia, b.art_disabilitas,
    h.jenis_kelamin AS krt_jenis_kelamin, h.umur_now::INTEGER AS krt_umur, h.pendidikan AS krt_pendidikan,
    h.status_bekerja AS krt_status_bekerja, h.lapangan_usaha AS krt_lapangan_usaha,
    h.kedudukan_kerja AS krt_kedudukan_kerja,
    {welfare_columns}
FROM {w}.family_base b
JOIN speaking sp USING (family_id)
LEFT JOIN {w}.family_head h USING (family_id)
LEFT JOIN {w}.family_record rf ON rf.source = 'regsosek' AND rf.source_family_id = sp.regsosek_id
LEFT JOIN {w}.family_record df ON df.source = 'dtks' AND df.source_family_id = sp.dtks_id
LEFT JOIN {w}.family_record pf ON pf.source = 'p3ke' AND pf.source_family_id = sp.p3ke_id;
