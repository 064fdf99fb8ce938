-- Where the values of persons and families came from, staged for publication with the other unify
-- tables (internal tables, read by `python -m dtsen_assets.explain`; docs/audit.md). Built from the
-- working tables of this run before they are dropped, never recomputed afterwards. How each record
-- was linked (unify.match_evidence) is match_evidence.sql.
--
-- unify.person_value_source: one row per person of dtsen.person; for each value of dtsen.person
-- (and the person-level variables families use) the source it came from, in <variable>_source and
-- <variable>_source_record_id (NULL source: no record holds the value). person.sql records it when
-- it takes each value (arg_min over the value and its record together), so this is the record the
-- value was taken from, by person.sql's own rules:
--   a person of Dukcapil takes nik, no_kk, nama, tgl_lahir, jenis_kelamin and kode_desa from
--   Dukcapil (source 'dukcapil'; the Dukcapil record is the one of the person's own NIK, so
--   source_record_id stays NULL rather than repeating the NIK); a person without a NIK from its
--   records (the record with a birth date first for the name; DTKS, REGSOSEK, P3KE, then the smaller
--   id); pendidikan, status_bekerja, lapangan_usaha, kedudukan_kerja, disabilitas from REGSOSEK first,
--   then P3KE, then DTKS (then the smaller id).
CREATE OR REPLACE TABLE {person_value_source_table} AS
SELECT * FROM {w}.person_value_source;

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
