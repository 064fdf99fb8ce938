-- staging.family_record: one row per source family of DTKS, P3KE and REGSOSEK, in one vocabulary.
-- Each source's codes are decoded as its families are read: {<source>_codes} and {<source>_code_joins},
-- written by staging/codes.py over the lookup tables <source>_family_codes.
-- Column lists in {braces} come from the vocabulary (dtsen_assets/staging/columns.py).
CREATE OR REPLACE TABLE {target} AS
-- Update dates and village codes are read once per distinct text, not once per family.
WITH update_dates AS (
    SELECT tgl_update_raw, parse_date(tgl_update_raw, 'tgl_update') AS tgl_update_parsed,
           blank_to_null(tgl_update_raw) IS NULL AS tgl_update_blank
    FROM (SELECT DISTINCT TGL_UPDATE AS tgl_update_raw FROM raw.dtks_keluarga)
),
villages AS (
    SELECT kode_desa_raw, clean_region_code(kode_desa_raw, 10) AS kode_desa,
           region_code_problems(kode_desa_raw, 'kode_desa', 10, 'desa_kelurahan') AS kode_desa_problems
    FROM (SELECT KODE_WILAYAH AS kode_desa_raw FROM raw.dtks_keluarga
          UNION SELECT KODE_DESA FROM raw.p3ke_keluarga
          UNION SELECT KODE_DESA FROM raw.regsosek_keluarga)
),
families AS (
    SELECT
        'dtks' AS source, f.ID_KELUARGA AS source_family_id, f._line_number AS line_number,
        f.NO_KK AS no_kk_raw, f.KODE_WILAYAH AS kode_desa_raw, d.tgl_update_parsed, d.tgl_update_blank,
        f.PKH AS pkh_raw, f.BPNT AS bpnt_raw, f.PBI_JK AS pbi_jk_raw, f.LUAS_LANTAI AS luas_lantai_raw,
        []::VARCHAR[] AS region_problems,
        {dtks_codes}
    FROM raw.dtks_keluarga AS f
    LEFT JOIN update_dates AS d ON d.tgl_update_raw IS NOT DISTINCT FROM f.TGL_UPDATE
    {dtks_code_joins}

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
        {p3ke_codes}
    FROM raw.p3ke_keluarga AS f
    {p3ke_code_joins}

    UNION ALL BY NAME

    SELECT
        'regsosek' AS source, f.ID_KELUARGA AS source_family_id, f._line_number AS line_number,
        f.NO_KK AS no_kk_raw, f.KODE_DESA AS kode_desa_raw, {regsosek_numbers_raw},
        []::VARCHAR[] AS region_problems,
        {regsosek_codes}
    FROM raw.regsosek_keluarga AS f
    {regsosek_code_joins}
),
parsed AS (
    SELECT
        f.*,
        v.kode_desa,
        v.kode_desa_problems,
        clean_identifier(no_kk_raw, 'no_kk', 16) AS no_kk_clean,
        parse_count(desil_p3ke_raw) AS desil_parsed,
        {numbers_parsed}
    FROM families AS f
    LEFT JOIN villages AS v ON v.kode_desa_raw IS NOT DISTINCT FROM f.kode_desa_raw
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
    {welfare_variables},
    list_filter(flatten([
        no_kk_clean.problems,
        kode_desa_problems,
        region_problems,
        CASE WHEN source = 'dtks' THEN tgl_update_parsed.problems || [CASE WHEN tgl_update_blank
                                                                          THEN 'tgl_update_missing' END]
             ELSE [] END,
        CASE WHEN source = 'p3ke' THEN [CASE WHEN blank_to_null(desil_p3ke_raw) IS NULL THEN 'desil_p3ke_missing'
                                             WHEN desil_parsed IS NULL OR desil_parsed NOT BETWEEN 1 AND 4
                                                 THEN 'desil_p3ke_invalid' END]
             ELSE [] END,
        CASE WHEN source = 'dtks' THEN [flag_problem(pkh_raw, 'pkh'), flag_problem(bpnt_raw, 'bpnt'),
                                        flag_problem(pbi_jk_raw, 'pbi_jk')]
             ELSE [] END,
        [{number_problems}],
        coalesce(code_problems, [])
    ]), lambda p: p IS NOT NULL) AS problems
FROM parsed
ORDER BY source, line_number;
