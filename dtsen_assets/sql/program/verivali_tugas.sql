-- Every village-meeting decision ends in a state (status) of the village worklist:
--   diterapkan             applied: a death or move Dukcapil confirms, a NIK correction accepted, TETAP
--                          recorded, a USULAN_BARU family already in DTSEN (its desil reported), or a MAMPU
--                          that a later meeting decided again (after the field check).
--   ditolak                rejected, with the reason: NIK_BARU unknown to Dukcapil or another person's,
--                          the record not found, or a later meeting about the same person decided TETAP.
--   menunggu_cek_lapangan  waiting for a field check: a death or move Dukcapil does not (yet) show, a MAMPU.
--   menunggu_registrasi    a USULAN_BARU family not in DTSEN: queued for registration, data_kurang lists
--                          what is still missing.
-- A task is closed by a later drop: Dukcapil confirming the death or move (the outcome becomes
-- dikonfirmasi_dukcapil) or a later decision about the same person. sejak: the meeting's date.
CREATE OR REPLACE TABLE {w}.tugas_verivali AS
WITH decision AS (
    -- a USULAN_BARU names no registry record: the family already in DTSEN is found by the proposed NIK
    SELECT o.source_file, o.line_number, o.no_ba, o.kode_desa, o.tgl_musdes, o.aksi,
           coalesce(o.person_id, CASE WHEN o.aksi = 'usulan_baru' AND d.nik IS NOT NULL
                                      THEN (SELECT min(px.person_id) FROM {person} px WHERE px.nik = d.nik AND px.is_active) END) AS person_id,
           o.outcome, d.nik, d.no_kk, d.nama, d.nik_baru
    FROM {verivali_outcome} o
    LEFT JOIN {verivali_decision} d ON d.source_file = o.source_file AND d.line_number = o.line_number
), later AS (
    -- the latest later decision about the same person
    SELECT a.source_file, a.line_number, b.aksi AS later_aksi, b.tgl_musdes AS later_tgl
    FROM decision a
    JOIN decision b ON a.person_id = b.person_id AND b.tgl_musdes > a.tgl_musdes
    QUALIFY row_number() OVER (PARTITION BY a.source_file, a.line_number ORDER BY b.tgl_musdes DESC, b.source_file DESC, b.line_number DESC) = 1
), judged AS (
    SELECT d.*, l.later_aksi, l.later_tgl, p.family_id, p.status_padan, k.desil,
           CASE
               WHEN d.outcome IN ('dikonfirmasi_dukcapil', 'diterima', 'dicatat', 'sudah_terdaftar') THEN 'diterapkan'
               WHEN d.outcome LIKE 'ditolak_%' OR d.outcome = 'record_tidak_ditemukan' THEN 'ditolak'
               WHEN d.outcome IN ('perlu_cek_lapangan', 'perlu_verifikasi_pmt') THEN
                   CASE WHEN l.later_aksi = 'tetap' THEN 'ditolak'
                        WHEN l.later_aksi = d.aksi AND d.aksi = 'mampu' THEN 'diterapkan'
                        ELSE 'menunggu_cek_lapangan' END
               WHEN d.outcome LIKE 'diusulkan_%' THEN 'menunggu_registrasi'
               ELSE 'ditolak'
           END AS status
    FROM decision d
    LEFT JOIN later l USING (source_file, line_number)
    LEFT JOIN {person} p ON p.person_id = d.person_id
    LEFT JOIN {w}.keluarga k ON k.family_id = p.family_id
)
SELECT
    'VV-' || upper(left(md5(concat_ws('|', 'verivali', source_file, line_number, coalesce(no_ba, ''), coalesce(kode_desa, ''),
                                      coalesce(tgl_musdes::VARCHAR, ''), aksi)), 16)) AS tugas_id,
    kode_desa, 'verivali' AS sumber, source_file || ':' || line_number AS rujukan, aksi AS jenis,
    person_id, family_id, nik, nama, status,
    CASE aksi
        WHEN 'meninggal' THEN 'cek lapangan: apakah anggota ini meninggal (minta akta/surat kematian, lapor Dukcapil)'
        WHEN 'pindah' THEN 'cek lapangan: apakah keluarga ini pindah (alamat baru, lapor Dukcapil)'
        WHEN 'mampu' THEN 'cek lapangan: kondisi sosial ekonomi keluarga yang dinyatakan MAMPU'
        WHEN 'perbaikan_nik' THEN 'cocokkan NIK dengan KTP-el / kartu keluarga'
        WHEN 'usulan_baru' THEN 'registrasi keluarga usulan: kuesioner sosial ekonomi dan padan NIK'
        WHEN 'tetap' THEN 'tidak ada (dicatat)'
        ELSE 'periksa keputusan musdes'
    END AS yang_dicek,
    CASE
        WHEN outcome = 'dikonfirmasi_dukcapil' THEN 'dikonfirmasi Dukcapil'
        WHEN outcome = 'diterima' THEN 'NIK baru padan Dukcapil dan identitas cocok'
        WHEN outcome = 'dicatat' THEN 'dicatat, tidak ada perubahan'
        WHEN outcome = 'sudah_terdaftar' THEN 'sudah terdaftar di DTSEN' || coalesce(', desil ' || desil, ', belum ada desil (belum terdata)')
        WHEN outcome = 'ditolak_nik_tidak_dikenal' THEN 'NIK baru tidak dikenal Dukcapil'
        WHEN outcome = 'ditolak_identitas_berbeda' THEN 'NIK baru milik orang lain menurut Dukcapil'
        WHEN outcome = 'record_tidak_ditemukan' THEN 'orang yang diputuskan tidak ditemukan di DTSEN'
        WHEN status = 'ditolak' AND later_aksi = 'tetap' THEN 'musdes berikutnya (' || later_tgl || ') memutuskan TETAP'
        WHEN status = 'diterapkan' AND aksi = 'mampu' THEN 'MAMPU dikuatkan musdes berikutnya (' || later_tgl || ') setelah cek lapangan'
        WHEN aksi = 'mampu' THEN 'keluarga ditunda di semua program sampai cek lapangan memutuskan'
        WHEN outcome = 'perlu_cek_lapangan' THEN 'Dukcapil belum mencatat; orang tetap aktif sampai dikonfirmasi'
        WHEN outcome = 'diusulkan_padan' THEN 'belum terdaftar di DTSEN; NIK padan Dukcapil'
        WHEN outcome = 'diusulkan_tidak_padan' THEN 'belum terdaftar di DTSEN; NIK tidak padan Dukcapil'
        ELSE 'keputusan tidak dikenal: ' || coalesce(outcome, 'tanpa hasil')
    END AS alasan,
    CASE WHEN status = 'menunggu_registrasi' THEN list_filter([
             'data sosial ekonomi keluarga (kuesioner registrasi DTSEN)',
             CASE WHEN outcome = 'diusulkan_tidak_padan' THEN 'NIK padan Dukcapil' END,
             CASE WHEN no_kk IS NULL THEN 'nomor KK' END,
             CASE WHEN nama IS NULL THEN 'nama lengkap' END,
             CASE WHEN kode_desa IS NULL THEN 'kode desa' END], lambda x: x IS NOT NULL)
    END AS data_kurang,
    desil,
    tgl_musdes AS sejak,
    CASE WHEN outcome = 'dikonfirmasi_dukcapil' THEN 'dukcapil'
         WHEN later_aksi IS NOT NULL AND status IN ('diterapkan', 'ditolak') AND outcome IN ('perlu_cek_lapangan', 'perlu_verifikasi_pmt') THEN 'musdes_berikutnya'
         WHEN status IN ('diterapkan', 'ditolak') THEN 'pipeline'
    END AS ditutup_oleh
FROM judged;

-- Families a village meeting declared MAMPU: held (ditunda) while the check is open, out once confirmed.
CREATE OR REPLACE TABLE {w}.keluarga_mampu AS
SELECT family_id,
       CASE WHEN bool_or(status = 'diterapkan') THEN 'mampu_dikonfirmasi' ELSE 'ditunda' END AS keadaan,
       min(sejak) AS sejak
FROM {w}.tugas_verivali
WHERE jenis = 'mampu' AND family_id IS NOT NULL AND status IN ('menunggu_cek_lapangan', 'diterapkan')
GROUP BY family_id;
