-- The active persons and families the rules look at, with what the rules need to know.
-- umur: whole years at the reference date {as_of} (NULL without a birth date: no age rule is met).
-- disabilitas: any source record of the person says disabilitas 'ya'. The sources record a disability
--   as yes/no only, so every recorded disability counts as a severe one (disabilitas berat).
-- sekolah: no source records school enrolment; a person is taken to be in school when no source record
--   says they work (status_bekerja 'bekerja'). Only used with an age band (PKH: 6-21).
CREATE OR REPLACE TABLE {w}.orang AS
WITH attributes AS (
    SELECT ps.person_id,
           bool_or(r.disabilitas = 'ya') AS disabilitas,
           bool_or(r.status_bekerja = 'bekerja') AS bekerja
    FROM {person_source} ps
    JOIN {person_record} r ON r.source = ps.source AND r.source_record_id = ps.source_record_id
    WHERE ps.person_id IS NOT NULL
    GROUP BY ps.person_id
)
SELECT p.person_id, p.family_id, p.kode_desa,
       CASE WHEN p.tgl_lahir IS NOT NULL AND p.tgl_lahir <= DATE '{as_of}'
            THEN date_sub('year', p.tgl_lahir, DATE '{as_of}')::INTEGER END AS umur,
       coalesce(a.disabilitas, false) AS disabilitas,
       NOT coalesce(a.bekerja, false) AS sekolah
FROM {person} p
LEFT JOIN attributes a USING (person_id)
WHERE p.is_active AND p.family_id IS NOT NULL;

-- Families with their desil (NULL: not scored, belum terdata).
CREATE OR REPLACE TABLE {w}.keluarga AS
SELECT f.family_id, f.kode_desa, left(f.kode_desa, 4) AS kode_kab, d.desil
FROM {family} f
LEFT JOIN {decile} d USING (family_id);

-- Members meeting each component of each family rule (PKH).
CREATE OR REPLACE TABLE {w}.komponen_anggota AS
SELECT k.aturan, k.komponen, k.uraian, o.family_id, o.person_id
FROM {w}.aturan_komponen k
JOIN {w}.orang o
  ON (k.umur_min IS NULL OR coalesce(o.umur >= k.umur_min, false))
 AND (k.umur_maks IS NULL OR coalesce(o.umur <= k.umur_maks, false))
 AND (NOT k.harus_sekolah OR o.sekolah)
 AND (NOT k.harus_disabilitas OR o.disabilitas);

CREATE OR REPLACE TABLE {w}.komponen_keluarga AS
SELECT aturan, family_id,
       string_agg(uraian || ' (' || anggota || ')', ', ' ORDER BY komponen) AS komponen
FROM (SELECT aturan, komponen, uraian, family_id, count(*) AS anggota
      FROM {w}.komponen_anggota GROUP BY ALL)
GROUP BY aturan, family_id;
