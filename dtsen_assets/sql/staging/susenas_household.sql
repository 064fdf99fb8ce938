-- staging.susenas_household: the SUSENAS sample in the canonical family welfare variables, so the
-- PMT model trained here sees the features dtsen.family has. Reads temp table susenas_codes; the
-- head's person codes (KRT_*) are decoded as the codebook's person variables and renamed krt_*.
CREATE OR REPLACE TABLE {target} AS
WITH parsed AS (
    SELECT
        h.ID_RT AS id_rt,
        h._line_number AS line_number,
        h.KODE_KAB AS kode_kab_raw, h.BOBOT AS bobot_raw, h.PENGELUARAN_KAPITA AS pengeluaran_kapita_raw,
        h.JUMLAH_ART AS jumlah_art_raw, h.ART_BALITA AS art_balita_raw, h.ART_SEKOLAH AS art_sekolah_raw,
        h.ART_LANSIA AS art_lansia_raw, h.ART_DISABILITAS AS art_disabilitas_raw, h.KRT_UMUR AS krt_umur_raw,
        h.LUAS_LANTAI AS luas_lantai_raw, h.LUAS_LAHAN AS luas_lahan_raw,
        h.TERNAK_SAPI AS ternak_sapi_raw, h.TERNAK_KERBAU AS ternak_kerbau_raw, h.TERNAK_KUDA AS ternak_kuda_raw,
        h.TERNAK_BABI AS ternak_babi_raw, h.TERNAK_KAMBING AS ternak_kambing_raw,
        parse_number(h.BOBOT) AS bobot,
        parse_number(h.PENGELUARAN_KAPITA) AS pengeluaran_kapita,
        parse_count(h.JUMLAH_ART) AS jumlah_art,
        parse_count(h.ART_BALITA) AS art_balita,
        parse_count(h.ART_SEKOLAH) AS art_sekolah,
        parse_count(h.ART_LANSIA) AS art_lansia,
        parse_count(h.ART_DISABILITAS) AS art_disabilitas,
        CASE WHEN parse_count(h.KRT_UMUR) <= 120 THEN parse_count(h.KRT_UMUR) END AS krt_umur,
        parse_number(h.LUAS_LANTAI) AS luas_lantai,
        parse_number(h.LUAS_LAHAN) AS luas_lahan,
        parse_count(h.TERNAK_SAPI) AS ternak_sapi,
        parse_count(h.TERNAK_KERBAU) AS ternak_kerbau,
        parse_count(h.TERNAK_KUDA) AS ternak_kuda,
        parse_count(h.TERNAK_BABI) AS ternak_babi,
        parse_count(h.TERNAK_KAMBING) AS ternak_kambing,
        c.* EXCLUDE (record_id)
    FROM raw.susenas_rumah_tangga AS h
    LEFT JOIN susenas_codes AS c ON c.record_id = h.ID_RT
)
SELECT
    id_rt,
    line_number,
    bobot,
    pengeluaran_kapita,
    clean_region_code(kode_kab_raw, 4) AS kode_kab,
    jumlah_art, art_balita, art_sekolah, art_lansia, art_disabilitas,
    jenis_kelamin AS krt_jenis_kelamin,
    krt_umur,
    pendidikan AS krt_pendidikan,
    status_bekerja AS krt_status_bekerja,
    lapangan_usaha AS krt_lapangan_usaha,
    kedudukan_kerja AS krt_kedudukan_kerja,
    status_bangunan, luas_lantai, lantai, dinding, atap, air_minum, penerangan, daya_listrik, bahan_bakar,
    fasilitas_bab, jenis_kloset, pembuangan_tinja,
    aset_tabung_gas_5kg, aset_lemari_es, aset_ac, aset_pemanas_air, aset_telepon_rumah, aset_televisi,
    aset_emas, aset_komputer, aset_sepeda, aset_sepeda_motor, aset_mobil, aset_perahu, aset_motor_tempel,
    aset_perahu_motor, aset_smartphone,
    luas_lahan, rumah_lain,
    ternak_sapi, ternak_kerbau, ternak_kuda, ternak_babi, ternak_kambing,
    list_filter(flatten([
        region_code_problems(kode_kab_raw, 'kode_kab', 4, 'kabupaten_kota'),
        -- without a weight or a measured consumption a household cannot train the PMT model
        [CASE WHEN blank_to_null(bobot_raw) IS NULL THEN 'bobot_missing' END,
         CASE WHEN blank_to_null(pengeluaran_kapita_raw) IS NULL THEN 'pengeluaran_kapita_missing' END],
        [
            number_problem(bobot_raw, bobot, 'bobot'),
            number_problem(pengeluaran_kapita_raw, pengeluaran_kapita, 'pengeluaran_kapita'),
            number_problem(jumlah_art_raw, jumlah_art, 'jumlah_art'),
            number_problem(art_balita_raw, art_balita, 'art_balita'),
            number_problem(art_sekolah_raw, art_sekolah, 'art_sekolah'),
            number_problem(art_lansia_raw, art_lansia, 'art_lansia'),
            number_problem(art_disabilitas_raw, art_disabilitas, 'art_disabilitas'),
            number_problem(krt_umur_raw, krt_umur, 'krt_umur'),
            number_problem(luas_lantai_raw, luas_lantai, 'luas_lantai'),
            number_problem(luas_lahan_raw, luas_lahan, 'luas_lahan'),
            number_problem(ternak_sapi_raw, ternak_sapi, 'ternak_sapi'),
            number_problem(ternak_kerbau_raw, ternak_kerbau, 'ternak_kerbau'),
            number_problem(ternak_kuda_raw, ternak_kuda, 'ternak_kuda'),
            number_problem(ternak_babi_raw, ternak_babi, 'ternak_babi'),
            number_problem(ternak_kambing_raw, ternak_kambing, 'ternak_kambing')
        ],
        -- the head's variables carry their column's name: code_unknown:krt_pendidikan
        list_transform(coalesce(code_problems, []), lambda problem:
            CASE WHEN split_part(problem, ':', 2) IN ('jenis_kelamin', 'pendidikan', 'status_bekerja',
                                                       'lapangan_usaha', 'kedudukan_kerja')
                 THEN replace(problem, ':', ':krt_') ELSE problem END)
    ]), lambda problem: problem IS NOT NULL) AS problems
FROM parsed
ORDER BY line_number;
