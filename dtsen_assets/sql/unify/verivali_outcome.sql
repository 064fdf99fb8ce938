-- Village-meeting decisions are claims, not facts. What each one does (outcome):
--   meninggal     the person is dead in Dukcapil: 'dikonfirmasi_dukcapil' (already inactive,
--                 reason meninggal_dukcapil); alive in Dukcapil or without a NIK:
--                 'perlu_cek_lapangan' (ground check; the person stays active).
--   pindah        Dukcapil shows the person in another village than the decision's:
--                 'dikonfirmasi_dukcapil' (the person already carries the current village);
--                 else 'perlu_cek_lapangan'.
--   perbaikan_nik NIK_BARU became the record's NIK (a Dukcapil NIK whose identity agrees with
--                 the record, scored like any candidate): 'diterima'; NIK_BARU not in Dukcapil:
--                 'ditolak_nik_tidak_dikenal'; in Dukcapil but not that person: 'ditolak_identitas_berbeda'.
--   mampu         not applied here: 'perlu_verifikasi_pmt' (the person stays active; whether a
--                 family is well-off is the welfare stage's ranking to say, with the claim beside it).
--   usulan_baru   listed: 'sudah_terdaftar' when a DTSEN person already has the NIK, else
--                 'diusulkan_padan' / 'diusulkan_tidak_padan' by whether it is a living Dukcapil NIK.
--   tetap         'dicatat' (nothing changes).
-- A decision about a record that cannot be found: 'record_tidak_ditemukan'.
CREATE OR REPLACE TABLE {outcome_table} AS
WITH decision AS (
    SELECT v.*, vr.record_key, rp.person_id, pf.dukcapil_key AS person_dukcapil_key, pf.kode_desa AS person_kode_desa,
           d.is_alive AS dukcapil_alive, pf.nik AS person_nik
    FROM {w}.verivali v
    LEFT JOIN {w}.verivali_record vr USING (decision_key)
    LEFT JOIN {w}.record_person rp ON rp.record_key = vr.record_key
    LEFT JOIN {w}.person_full pf ON pf.person_id = rp.person_id
    LEFT JOIN {w}.dukcapil d ON d.dukcapil_key = pf.dukcapil_key
)
SELECT
    x.source_file, x.line_number, x.no_ba, x.kode_desa, x.tgl_musdes, x.aksi, x.person_id,
    CASE
        WHEN x.aksi = 'usulan_baru' THEN
            CASE WHEN x.nik IN (SELECT nik FROM {w}.person_full WHERE nik IS NOT NULL) THEN 'sudah_terdaftar'
                 WHEN x.nik IN (SELECT nik FROM {w}.dukcapil WHERE is_alive) THEN 'diusulkan_padan'
                 ELSE 'diusulkan_tidak_padan' END
        WHEN x.record_key IS NULL THEN 'record_tidak_ditemukan'
        WHEN x.aksi = 'meninggal' THEN
            CASE WHEN x.dukcapil_alive = false THEN 'dikonfirmasi_dukcapil' ELSE 'perlu_cek_lapangan' END
        WHEN x.aksi = 'pindah' THEN
            CASE WHEN x.person_dukcapil_key IS NOT NULL AND x.person_kode_desa IS DISTINCT FROM x.kode_desa
                 THEN 'dikonfirmasi_dukcapil' ELSE 'perlu_cek_lapangan' END
        WHEN x.aksi = 'perbaikan_nik' THEN
            CASE WHEN x.person_nik = x.nik_baru THEN 'diterima'
                 WHEN x.nik_baru NOT IN (SELECT nik FROM {w}.dukcapil) OR x.nik_baru IS NULL THEN 'ditolak_nik_tidak_dikenal'
                 ELSE 'ditolak_identitas_berbeda' END
        WHEN x.aksi = 'mampu' THEN 'perlu_verifikasi_pmt'
        WHEN x.aksi = 'tetap' THEN 'dicatat'
        ELSE 'aksi_tidak_dikenal'
    END AS outcome
FROM decision x;
