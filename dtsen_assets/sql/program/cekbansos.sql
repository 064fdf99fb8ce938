-- Cek Bansos proposals (usul) and objections (sanggah): claims matched to DTSEN by NIK. Neither changes a desil.
-- A NIK is the digits of the cell when they are 16 and not all zeros; the program code is decoded through
-- codebook.csv ({w}.program_kode). A proposal reports whether the person is registered (an active DTSEN
-- person with that NIK), their family's desil and the rule of the program they meet (their program.kandidat
-- row: layak / perlu_asesmen / ditunda) or miss (status tidak_memenuhi, alasan says which condition).
-- Not registered: belum_terdaftar, queued for registration in the village worklist.
CREATE OR REPLACE TABLE {w}.usul AS
SELECT u.ID_USUL AS id_usul, try_strptime(trim(u.TGL_USUL), '%Y-%m-%d')::DATE AS tgl_usul,
       CASE WHEN length(regexp_replace(coalesce(u.NIK, ''), '[^0-9]', '', 'g')) = 16
             AND regexp_replace(u.NIK, '[^0-9]', '', 'g') <> '0000000000000000'
            THEN regexp_replace(u.NIK, '[^0-9]', '', 'g') END AS nik,
       nullif(trim(u.NAMA), '') AS nama, nullif(regexp_replace(coalesce(u.KODE_DESA, ''), '[^0-9]', '', 'g'), '') AS kode_desa,
       pk.program, u.PROGRAM IS NOT NULL AND pk.program IS NULL AS program_tidak_dikenal,
       u.ALASAN AS alasan_warga
FROM {usul_raw} u
LEFT JOIN {w}.program_kode pk ON pk.kode = upper(trim(u.PROGRAM));

CREATE OR REPLACE TABLE {target_usulan} AS
WITH matched AS (
    SELECT u.*, p.person_id, p.family_id, p.is_active, k.desil, a.aturan, a.unit, a.desil_asesmen_maks,
           a.umur_min, a.umur_maks, a.perlu_komponen, o.umur, km.keadaan AS mampu,
           EXISTS (SELECT 1 FROM {w}.komponen_keluarga kk WHERE kk.aturan = a.aturan AND kk.family_id = p.family_id) AS ada_komponen
    FROM {w}.usul u
    LEFT JOIN {person} p ON p.nik = u.nik
    LEFT JOIN {w}.keluarga k ON k.family_id = p.family_id
    LEFT JOIN {w}.aturan a ON a.program = u.program
    LEFT JOIN {w}.orang o ON o.person_id = p.person_id
    LEFT JOIN {w}.keluarga_mampu km ON km.family_id = p.family_id
), judged AS (
    SELECT m.*, c.status AS status_kandidat, c.alasan AS alasan_kandidat
    FROM matched m
    LEFT JOIN {kandidat} c ON c.program = m.program AND c.family_id = m.family_id
                          AND (c.person_id = m.person_id OR (c.person_id IS NULL AND m.unit = 'keluarga'))
)
SELECT id_usul, tgl_usul, kode_desa, program, nik, nama,
       person_id IS NOT NULL AND is_active AS terdaftar, person_id, family_id, desil,
       CASE WHEN program_tidak_dikenal OR program IS NULL THEN 'program_tidak_dikenal'
            WHEN nik IS NULL THEN 'nik_tidak_valid'
            WHEN person_id IS NULL THEN 'belum_terdaftar'
            WHEN NOT is_active THEN 'tidak_aktif'
            WHEN status_kandidat IS NOT NULL THEN status_kandidat
            ELSE 'tidak_memenuhi' END AS status,
       aturan,
       CASE WHEN program_tidak_dikenal OR program IS NULL THEN 'kode program tidak ada di codebook'
            WHEN nik IS NULL THEN 'NIK bukan 16 digit: perlu dicocokkan dengan KTP-el'
            WHEN person_id IS NULL THEN 'NIK tidak terdaftar di DTSEN: diantrikan untuk registrasi di desa'
            WHEN NOT is_active THEN 'orang tidak aktif di DTSEN (meninggal menurut Dukcapil)'
            WHEN status_kandidat IS NOT NULL THEN 'memenuhi aturan ' || aturan || ': ' || alasan_kandidat
            WHEN mampu = 'mampu_dikonfirmasi' THEN 'tidak memenuhi ' || aturan || ': musdes mengonfirmasi keluarga MAMPU'
            WHEN desil IS NULL THEN 'tidak memenuhi ' || aturan || ': keluarga belum terdata (belum ada desil)'
            WHEN desil > desil_asesmen_maks THEN 'tidak memenuhi ' || aturan || ': desil ' || desil || ' di atas batas ' || desil_asesmen_maks
            WHEN perlu_komponen AND NOT ada_komponen THEN 'tidak memenuhi ' || aturan || ': tidak ada anggota keluarga dengan komponen ' || program
            WHEN umur IS NULL AND (umur_min IS NOT NULL OR umur_maks IS NOT NULL) THEN 'tidak memenuhi ' || aturan || ': umur tidak diketahui (tanggal lahir kosong)'
            WHEN umur_min IS NOT NULL OR umur_maks IS NOT NULL THEN 'tidak memenuhi ' || aturan || ': umur ' || umur || ' di luar ' || coalesce(umur_min::VARCHAR, '') || '-' || coalesce(umur_maks::VARCHAR, '') || ' tahun'
            ELSE 'tidak memenuhi ' || aturan END AS alasan,
       alasan_warga
FROM judged
ORDER BY id_usul;

-- Objections: the listed person's current status, for the village meeting or a field check.
CREATE OR REPLACE TABLE {w}.tugas_cekbansos AS
WITH sanggah AS (
    SELECT s.ID_SANGGAH AS id_sanggah, try_strptime(trim(s.TGL_SANGGAH), '%Y-%m-%d')::DATE AS tgl_sanggah,
           CASE WHEN length(regexp_replace(coalesce(s.NIK_SASARAN, ''), '[^0-9]', '', 'g')) = 16
                THEN regexp_replace(s.NIK_SASARAN, '[^0-9]', '', 'g') END AS nik_sasaran,
           nullif(regexp_replace(coalesce(s.KODE_DESA, ''), '[^0-9]', '', 'g'), '') AS kode_desa,
           s.ALASAN AS alasan_warga
    FROM {sanggah_raw} s
), target AS (
    SELECT s.*, p.person_id, p.family_id, p.is_active, p.nama, p.inactive_reason, k.desil,
           (SELECT string_agg(c.program || ' ' || c.status, ', ' ORDER BY c.program)
            FROM (SELECT DISTINCT program, status FROM {kandidat} c
                  WHERE c.family_id = p.family_id AND (c.person_id IS NULL OR c.person_id = p.person_id)) c) AS kandidat,
           (SELECT string_agg(DISTINCT r.program, ', ' ORDER BY r.program)
            FROM {w}.penerima_dtks r JOIN {w}.dtks_keluarga m USING (source_family_id)
            WHERE m.family_id = p.family_id) AS penerima
    FROM sanggah s
    LEFT JOIN {person} p ON p.nik = s.nik_sasaran
    LEFT JOIN {w}.keluarga k ON k.family_id = p.family_id
)
SELECT 'CB-' || upper(left(md5('sanggah|' || id_sanggah), 16)) AS tugas_id,
       coalesce(kode_desa, (SELECT kode_desa FROM {person} WHERE person_id = target.person_id)) AS kode_desa,
       'cekbansos' AS sumber, 'sanggah.csv:' || id_sanggah AS rujukan, 'sanggah' AS jenis,
       person_id, family_id, nik_sasaran AS nik, nama,
       CASE WHEN person_id IS NULL THEN 'ditolak' ELSE 'menunggu_cek_lapangan' END AS status,
       'sanggahan warga (Cek Bansos): cek lapangan kelayakan penerima yang disanggah' AS yang_dicek,
       CASE WHEN person_id IS NULL THEN 'sasaran tidak terdaftar di DTSEN (NIK tidak ditemukan)'
            ELSE 'status kini: ' || CASE WHEN is_active THEN 'aktif' ELSE 'tidak aktif (' || coalesce(inactive_reason, '-') || ')' END
                 || ', ' || coalesce('desil ' || desil, 'belum ada desil')
                 || '; kandidat: ' || coalesce(kandidat, 'tidak ada')
                 || '; penerima DTKS: ' || coalesce(penerima, 'tidak ada')
                 || '. Sanggahan tidak mengubah desil.' END AS alasan,
       NULL::VARCHAR[] AS data_kurang, desil, tgl_sanggah AS sejak,
       CASE WHEN person_id IS NULL THEN 'pipeline' END AS ditutup_oleh,
       alasan_warga
FROM target
UNION ALL
-- a proposal whose NIK is not in DTSEN: queued for registration in its village
SELECT 'CB-' || upper(left(md5('usul|' || id_usul), 16)), kode_desa, 'cekbansos', 'usul.csv:' || id_usul, 'usul_registrasi',
       NULL, NULL, nik, nama, 'menunggu_registrasi',
       'registrasi pengusul Cek Bansos: kuesioner sosial ekonomi dan padan NIK',
       'usulan ' || program || ': NIK tidak terdaftar di DTSEN',
       list_filter(['data sosial ekonomi keluarga (kuesioner registrasi DTSEN)', 'NIK padan Dukcapil',
                    CASE WHEN nama IS NULL THEN 'nama lengkap' END], lambda x: x IS NOT NULL),
       NULL, tgl_usul, NULL, alasan_warga
FROM {target_usulan}
WHERE status IN ('belum_terdaftar', 'nik_tidak_valid');
