-- The published tables, staged under their __staging names (write, audit, publish):
-- dtsen.person, dtsen.person_source and dtsen.family exactly as ../shared/spec/outputs.md says
-- (dtsen.family also carries kode_kab, the composition and head-of-family variables and every
-- welfare variable with its <variable>_source).
-- An inactive person keeps the family of its card only while that family has active members.
-- ({family_table} itself is built by family.sql.)
CREATE OR REPLACE TABLE {person_table} AS
SELECT p.person_id, p.nik, p.no_kk, p.nama, p.tgl_lahir, p.jenis_kelamin, p.kode_desa,
       CASE WHEN p.family_candidate IN (SELECT family_id FROM {w}.family_base) THEN p.family_candidate END AS family_id,
       p.status_padan, p.is_active, p.inactive_reason
FROM {w}.person_full p;

CREATE OR REPLACE TABLE {person_source_table} AS
SELECT m.source, m.source_record_id, rp.person_id, m.match_method, m.match_score::DOUBLE AS match_score,
       m.reject_reason
FROM {w}.record_match m
LEFT JOIN {w}.record_person rp USING (record_key);
