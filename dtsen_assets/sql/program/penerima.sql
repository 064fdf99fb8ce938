-- Today's recipients (DTKS flags PKH, BPNT, PBI_JK of staging.family_record) against the candidates.
-- A DTKS family is the DTSEN family most of its active members are in today (a tie: the family of its
-- member with the smallest DTKS record id; not the smaller family_id, a keyed hash that would make the
-- answer depend on the warehouse's secret key). Per program, a recipient
--   tetap_layak / tetap_perlu_asesmen   stays: its family is a candidate (status layak / perlu_asesmen)
--   keluar_meninggal                    would leave: every member died (Dukcapil)
--   keluar_tidak_ditemukan              would leave: no member is an active DTSEN person
--   keluar_pindah                       would leave this village's list: the family lives in another village now
--   keluar_mampu                        would leave: a village meeting declared it MAMPU (held or confirmed)
--   belum_terdata                       cannot be judged: the family has no desil
--   keluar_desil_tinggi                 would leave: desil above the rule's desil_asesmen_maks
--   keluar_tanpa_komponen               would leave (PKH): no member with a component
-- and a family that is a layak candidate but receives nothing today: layak_belum_menerima (kode_kab of
-- where it lives). Counted per program and kabupaten/kota of the DTKS listing in {target_banding}.
CREATE OR REPLACE TABLE {w}.penerima_dtks AS
SELECT source_family_id, kode_desa, 'PKH' AS program FROM {family_record} WHERE source = 'dtks' AND pkh
UNION ALL
SELECT source_family_id, kode_desa, 'BPNT' FROM {family_record} WHERE source = 'dtks' AND bpnt
UNION ALL
SELECT source_family_id, kode_desa, 'PBI_JK' FROM {family_record} WHERE source = 'dtks' AND pbi_jk;

CREATE OR REPLACE TABLE {w}.dtks_keluarga AS
WITH member AS (
    SELECT r.source_family_id, r.source_record_id, p.person_id, p.is_active, p.family_id, p.inactive_reason
    FROM {person_record} r
    JOIN {person_source} ps ON ps.source = r.source AND ps.source_record_id = r.source_record_id
    JOIN {person} p ON p.person_id = ps.person_id
    WHERE r.source = 'dtks'
), today AS (
    SELECT source_family_id, family_id
    FROM member
    WHERE is_active AND family_id IS NOT NULL
    GROUP BY source_family_id, family_id
    QUALIFY row_number() OVER (PARTITION BY source_family_id ORDER BY count(*) DESC, min(source_record_id)) = 1
)
SELECT m.source_family_id,
       any_value(t.family_id) AS family_id,
       count(*) FILTER (WHERE m.is_active) AS anggota_aktif,
       count(*) AS anggota,
       coalesce(bool_and(NOT m.is_active AND m.inactive_reason LIKE 'meninggal%'), false) AS semua_meninggal
FROM member m
LEFT JOIN today t USING (source_family_id)
GROUP BY m.source_family_id;

CREATE OR REPLACE TABLE {target_status} AS
WITH judged AS (
    SELECT r.program, r.source_family_id, r.kode_desa AS kode_desa_dtks, left(r.kode_desa, 4) AS kode_kab,
           m.family_id, k.kode_desa AS kode_desa_kini, k.desil, a.desil_asesmen_maks, a.perlu_komponen,
           km.keadaan AS mampu, c.status AS status_kandidat,
           coalesce(m.semua_meninggal, false) AS semua_meninggal,
           EXISTS (SELECT 1 FROM {w}.komponen_keluarga kk WHERE kk.aturan = a.aturan AND kk.family_id = m.family_id) AS ada_komponen
    FROM {w}.penerima_dtks r
    JOIN {w}.aturan a ON a.program = r.program
    LEFT JOIN {w}.dtks_keluarga m USING (source_family_id)
    LEFT JOIN {w}.keluarga k ON k.family_id = m.family_id
    LEFT JOIN {w}.keluarga_mampu km ON km.family_id = m.family_id
    LEFT JOIN (SELECT program, family_id,
                      CASE WHEN bool_or(status = 'layak') THEN 'layak'
                           WHEN bool_or(status = 'perlu_asesmen') THEN 'perlu_asesmen' ELSE min(status) END AS status
               FROM {kandidat} GROUP BY ALL) c ON c.program = r.program AND c.family_id = m.family_id
)
SELECT program, source_family_id, kode_kab, kode_desa_dtks, family_id, desil,
       CASE WHEN family_id IS NULL AND semua_meninggal THEN 'keluar_meninggal'
            WHEN family_id IS NULL THEN 'keluar_tidak_ditemukan'
            WHEN kode_desa_kini IS DISTINCT FROM kode_desa_dtks THEN 'keluar_pindah'
            WHEN mampu IS NOT NULL THEN 'keluar_mampu'
            WHEN desil IS NULL THEN 'belum_terdata'
            WHEN desil > desil_asesmen_maks THEN 'keluar_desil_tinggi'
            WHEN perlu_komponen AND NOT ada_komponen THEN 'keluar_tanpa_komponen'
            WHEN status_kandidat = 'layak' THEN 'tetap_layak'
            WHEN status_kandidat = 'perlu_asesmen' THEN 'tetap_perlu_asesmen'
            ELSE 'keluar_tidak_memenuhi_aturan'
       END AS kategori
FROM judged
UNION ALL
SELECT c.program, NULL AS source_family_id, k.kode_kab, NULL AS kode_desa_dtks, c.family_id, k.desil,
       'layak_belum_menerima' AS kategori
FROM (SELECT DISTINCT program, family_id FROM {kandidat} WHERE status = 'layak' AND program IN ('PKH', 'BPNT', 'PBI_JK')) c
JOIN {w}.keluarga k USING (family_id)
WHERE NOT EXISTS (SELECT 1 FROM {w}.penerima_dtks r JOIN {w}.dtks_keluarga m USING (source_family_id)
                  WHERE r.program = c.program AND m.family_id = c.family_id);

CREATE OR REPLACE TABLE {target_banding} AS
SELECT program, kode_kab, kategori, count(*)::BIGINT AS keluarga
FROM {target_status}
GROUP BY ALL
ORDER BY program, kode_kab, kategori;
