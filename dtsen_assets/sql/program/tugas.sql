-- program.tugas_verifikasi: the village worklist, every verivali decision and Cek Bansos claim with its state.
-- Open states: menunggu_cek_lapangan, menunggu_registrasi; closed: diterapkan, ditolak.
-- pertama_tercatat: the date the task first appeared in a release (kept from the previous worklist);
-- ditutup_pada: the date of the release that found it closed ({run_date} for one closed now).
CREATE OR REPLACE TABLE {target} AS
WITH current_tasks AS (
    SELECT tugas_id, kode_desa, sumber, rujukan, jenis, person_id, family_id, nik, nama, status, yang_dicek,
           alasan, data_kurang, desil::INTEGER AS desil, sejak, ditutup_oleh, NULL::VARCHAR AS alasan_warga
    FROM {w}.tugas_verivali
    UNION ALL
    SELECT tugas_id, kode_desa, sumber, rujukan, jenis, person_id, family_id, nik, nama, status, yang_dicek,
           alasan, data_kurang, desil::INTEGER, sejak, ditutup_oleh, alasan_warga
    FROM {w}.tugas_cekbansos
)
SELECT c.tugas_id, c.kode_desa, left(c.kode_desa, 4) AS kode_kab, c.sumber, c.rujukan, c.jenis, c.person_id, c.family_id,
       c.nik, c.nama, c.status, c.status IN ('menunggu_cek_lapangan', 'menunggu_registrasi') AS terbuka,
       c.yang_dicek, c.alasan, c.data_kurang, c.desil, c.sejak,
       coalesce(prev.pertama_tercatat, DATE '{run_date}') AS pertama_tercatat,
       CASE WHEN c.status IN ('diterapkan', 'ditolak')
            THEN CASE WHEN prev.terbuka = false THEN prev.ditutup_pada ELSE DATE '{run_date}' END END AS ditutup_pada,
       c.ditutup_oleh, c.alasan_warga
FROM current_tasks c
LEFT JOIN {previous} prev USING (tugas_id)
ORDER BY c.kode_desa, c.sejak, c.tugas_id;
