-- staging.dukcapil_person: the civil registry, one row per person (per Dukcapil NIK), cleaned like
-- the source records so linkage compares like with like. Decodes JENIS_KLMIN, STAT_HBKEL and STATUS
-- as each person is read ({dukcapil_codes}, {dukcapil_code_joins}: staging/codes.py) and reads name_standard.
CREATE OR REPLACE TABLE {target} AS
-- Dates and village codes are read once per distinct text (a few ten thousand dates, a village code
-- per village), not once per person.
WITH birth_dates AS (
    SELECT tgl_lahir_raw, parse_date(tgl_lahir_raw, 'date') AS tgl_lahir_parsed,
           blank_to_null(tgl_lahir_raw) IS NULL AS tgl_lahir_blank
    FROM (SELECT DISTINCT TGL_LHR AS tgl_lahir_raw FROM raw.dukcapil_penduduk)
),
death_dates AS (
    SELECT tgl_meninggal_raw, parse_date(tgl_meninggal_raw, 'tgl_meninggal') AS tgl_meninggal_parsed,
           blank_to_null(tgl_meninggal_raw) IS NULL AS tgl_meninggal_blank
    FROM (SELECT DISTINCT TGL_MENINGGAL AS tgl_meninggal_raw FROM raw.dukcapil_penduduk)
),
villages AS (
    SELECT kode_desa_raw, clean_region_code(kode_desa_raw, 10) AS kode_desa,
           region_code_problems(kode_desa_raw, 'kode_desa', 10, 'desa_kelurahan') AS kode_desa_problems
    FROM (SELECT DISTINCT KODE_DESA AS kode_desa_raw FROM raw.dukcapil_penduduk)
),
parsed AS (
    SELECT
        d._line_number AS line_number,
        d.NAMA_LGKP AS nama_raw,
        v.kode_desa,
        v.kode_desa_problems,
        clean_identifier(d.NIK, 'nik', 16) AS nik_clean,
        clean_identifier(d.NO_KK, 'no_kk', 16) AS no_kk_clean,
        b.tgl_lahir_parsed,
        b.tgl_lahir_blank,
        m.tgl_meninggal_parsed,
        m.tgl_meninggal_blank,
        {dukcapil_codes}
    FROM raw.dukcapil_penduduk AS d
    {dukcapil_code_joins}
    LEFT JOIN birth_dates AS b ON b.tgl_lahir_raw IS NOT DISTINCT FROM d.TGL_LHR
    LEFT JOIN death_dates AS m ON m.tgl_meninggal_raw IS NOT DISTINCT FROM d.TGL_MENINGGAL
    LEFT JOIN villages AS v ON v.kode_desa_raw IS NOT DISTINCT FROM d.KODE_DESA
),
checked AS (
    SELECT * REPLACE (TRY_CAST(is_alive AS BOOLEAN) AS is_alive),
           nik_problems(nik_clean.value, tgl_lahir_parsed.value, jenis_kelamin) AS nik_digit_problems
    FROM parsed
)
SELECT
    p.nik_clean.value AS nik,
    p.no_kk_clean.value AS no_kk,
    n.nama,
    p.tgl_lahir_parsed.value AS tgl_lahir,
    p.jenis_kelamin,
    p.hub_kk,
    p.kode_desa,
    p.is_alive,
    p.tgl_meninggal_parsed.value AS tgl_meninggal,
    p.line_number,
    list_filter(flatten([
        p.nik_clean.problems,
        p.nik_digit_problems,
        p.no_kk_clean.problems,
        coalesce(n.problems, ['name_missing']),
        p.tgl_lahir_parsed.problems,
        [CASE WHEN p.tgl_lahir_blank THEN 'date_missing' END],
        p.kode_desa_problems,
        coalesce(p.code_problems, []),
        p.tgl_meninggal_parsed.problems,
        [CASE WHEN p.is_alive = false AND p.tgl_meninggal_blank THEN 'tgl_meninggal_missing'
              WHEN p.is_alive = true AND NOT p.tgl_meninggal_blank THEN 'tgl_meninggal_while_alive'
         END],
        [CASE WHEN p.tgl_meninggal_parsed.value < p.tgl_lahir_parsed.value THEN 'tgl_meninggal_before_birth' END]
    ]), lambda problem: problem IS NOT NULL) AS problems
FROM checked AS p
LEFT JOIN name_standard AS n ON n.nama_raw = p.nama_raw
ORDER BY p.line_number;
