-- staging.family_record: one row per source family of DTKS, P3KE and REGSOSEK, in one vocabulary.
-- Reads the decoded codes in temp tables dtks_family_codes, p3ke_family_codes, regsosek_family_codes.
CREATE OR REPLACE TABLE {target} AS
WITH families AS (
    SELECT
        'dtks' AS source, f.ID_KELUARGA AS source_family_id, f._line_number AS line_number,
        f.NO_KK AS no_kk_raw, f.KODE_WILAYAH AS kode_desa_raw, f.TGL_UPDATE AS tgl_update_raw,
        f.PKH AS pkh_raw, f.BPNT AS bpnt_raw, f.PBI_JK AS pbi_jk_raw, f.LUAS_LANTAI AS luas_lantai_raw,
        []::VARCHAR[] AS region_problems,
        c.* EXCLUDE (record_id)
    FROM raw.dtks_keluarga AS f
    LEFT JOIN dtks_family_codes AS c ON c.record_id = f.ID_KELUARGA

    UNION ALL BY NAME

    SELECT
        'p3ke' AS source, f.ID_KELUARGA_P3KE AS source_family_id, f._line_number AS line_number,
        f.NO_KK AS no_kk_raw, f.KODE_DESA AS kode_desa_raw, f.DESIL_P3KE AS desil_p3ke_raw,
        -- P3KE repeats the village's province, regency and district: they must be its prefixes.
        CASE WHEN clean_region_code(f.KODE_DESA, 10) IS NOT NULL AND NOT (
                 coalesce(clean_region_code(f.KODE_PROVINSI, 2) = left(clean_region_code(f.KODE_DESA, 10), 2), false)
                 AND coalesce(clean_region_code(f.KODE_KABUPATEN, 4) = left(clean_region_code(f.KODE_DESA, 10), 4), false)
                 AND coalesce(clean_region_code(f.KODE_KECAMATAN, 6) = left(clean_region_code(f.KODE_DESA, 10), 6), false))
             THEN ['kode_wilayah_inconsistent'] ELSE []::VARCHAR[] END AS region_problems,
        c.* EXCLUDE (record_id)
    FROM raw.p3ke_keluarga AS f
    LEFT JOIN p3ke_family_codes AS c ON c.record_id = f.ID_KELUARGA_P3KE

    UNION ALL BY NAME

    SELECT
        'regsosek' AS source, f.ID_KELUARGA AS source_family_id, f._line_number AS line_number,
        f.NO_KK AS no_kk_raw, f.KODE_DESA AS kode_desa_raw, f.JUMLAH_ART AS jumlah_art_raw,
        f.LUAS_LANTAI AS luas_lantai_raw, f.LUAS_LAHAN AS luas_lahan_raw,
        f.TERNAK_SAPI AS ternak_sapi_raw, f.TERNAK_KERBAU AS ternak_kerbau_raw, f.TERNAK_KUDA AS ternak_kuda_raw,
        f.TERNAK_BABI AS ternak_babi_raw, f.TERNAK_KAMBING AS ternak_kambing_raw,
        []::VARCHAR[] AS region_problems,
        c.* EXCLUDE (record_id)
    FROM raw.regsosek_keluarga AS f
    LEFT JOIN regsosek_family_codes AS c ON c.record_id = f.ID_KELUARGA
),
parsed AS (
    SELECT
        *,
        clean_identifier(no_kk_raw, 'no_kk', 16) AS no_kk_clean,
        clean_region_code(kode_desa_raw, 10) AS kode_desa,
        parse_date(tgl_update_raw, 'tgl_update') AS tgl_update_parsed,
        parse_count(desil_p3ke_raw) AS desil_parsed,
        parse_count(jumlah_art_raw) AS jumlah_art,
        parse_number(luas_lantai_raw) AS luas_lantai,
        parse_number(luas_lahan_raw) AS luas_lahan,
        parse_count(ternak_sapi_raw) AS ternak_sapi,
        parse_count(ternak_kerbau_raw) AS ternak_kerbau,
        parse_count(ternak_kuda_raw) AS ternak_kuda,
        parse_count(ternak_babi_raw) AS ternak_babi,
        parse_count(ternak_kambing_raw) AS ternak_kambing
    FROM families
)
SELECT
    source,
    source_family_id,
    line_number,
    no_kk_clean.value AS no_kk,
    kode_desa,
    tgl_update_parsed.value AS tgl_update,
    CASE WHEN desil_parsed BETWEEN 1 AND 4 THEN desil_parsed END AS desil_p3ke,
    parse_flag(pkh_raw) AS pkh,
    parse_flag(bpnt_raw) AS bpnt,
    parse_flag(pbi_jk_raw) AS pbi_jk,
    left(kode_desa, 4) AS kode_kab,
    jumlah_art,
    status_bangunan, luas_lantai, lantai, dinding, atap, air_minum, penerangan, daya_listrik, bahan_bakar,
    fasilitas_bab, jenis_kloset, pembuangan_tinja,
    aset_tabung_gas_5kg, aset_lemari_es, aset_ac, aset_pemanas_air, aset_telepon_rumah, aset_televisi,
    aset_emas, aset_komputer, aset_sepeda, aset_sepeda_motor, aset_mobil, aset_perahu, aset_motor_tempel,
    aset_perahu_motor, aset_smartphone,
    luas_lahan, rumah_lain,
    ternak_sapi, ternak_kerbau, ternak_kuda, ternak_babi, ternak_kambing,
    list_filter(flatten([
        no_kk_clean.problems,
        region_code_problems(kode_desa_raw, 'kode_desa', 10, 'desa_kelurahan'),
        region_problems,
        CASE WHEN source = 'dtks' THEN tgl_update_parsed.problems || [CASE WHEN blank_to_null(tgl_update_raw) IS NULL
                                                                          THEN 'tgl_update_missing' END]
             ELSE [] END,
        CASE WHEN source = 'p3ke' THEN [CASE WHEN blank_to_null(desil_p3ke_raw) IS NULL THEN 'desil_p3ke_missing'
                                             WHEN desil_parsed IS NULL OR desil_parsed NOT BETWEEN 1 AND 4
                                                 THEN 'desil_p3ke_invalid' END]
             ELSE [] END,
        CASE WHEN source = 'dtks' THEN [flag_problem(pkh_raw, 'pkh'), flag_problem(bpnt_raw, 'bpnt'),
                                        flag_problem(pbi_jk_raw, 'pbi_jk')]
             ELSE [] END,
        [
            number_problem(jumlah_art_raw, jumlah_art, 'jumlah_art'),
            number_problem(luas_lantai_raw, luas_lantai, 'luas_lantai'),
            number_problem(luas_lahan_raw, luas_lahan, 'luas_lahan'),
            number_problem(ternak_sapi_raw, ternak_sapi, 'ternak_sapi'),
            number_problem(ternak_kerbau_raw, ternak_kerbau, 'ternak_kerbau'),
            number_problem(ternak_kuda_raw, ternak_kuda, 'ternak_kuda'),
            number_problem(ternak_babi_raw, ternak_babi, 'ternak_babi'),
            number_problem(ternak_kambing_raw, ternak_kambing, 'ternak_kambing')
        ],
        coalesce(code_problems, [])
    ]), lambda p: p IS NOT NULL) AS problems
FROM parsed
ORDER BY source, line_number;
