-- staging.verivali_decision: one row per village-meeting decision (every verivali/*.csv). A decision
-- is a claim; staging only cleans it. Reads temp tables verivali_codes (AKSI) and name_standard.
CREATE OR REPLACE TABLE {target} AS
WITH parsed AS (
    SELECT
        v._source_file AS source_file,
        v._line_number AS line_number,
        blank_to_null(v.NO_BA) AS no_ba,
        v.KODE_DESA AS kode_desa_raw,
        v.TGL_MUSDES AS tgl_musdes_raw,
        v.NAMA AS nama_raw,
        v.NIK_BARU AS nik_baru_raw,
        blank_to_null(v.KETERANGAN) AS keterangan,
        clean_identifier(v.NIK, 'nik', 16) AS nik_clean,
        clean_identifier(v.NO_KK, 'no_kk', 16) AS no_kk_clean,
        clean_identifier(v.NIK_BARU, 'nik_baru', 16) AS nik_baru_clean,
        parse_date(v.TGL_MUSDES, 'tgl_musdes') AS tgl_musdes_parsed,
        c.aksi,
        c.code_problems
    FROM raw.verivali_musdes AS v
    LEFT JOIN verivali_codes AS c ON c.record_id = v._source_file || ':' || v._line_number
)
SELECT
    p.source_file,
    p.line_number,
    p.no_ba,
    clean_region_code(p.kode_desa_raw, 10) AS kode_desa,
    p.tgl_musdes_parsed.value AS tgl_musdes,
    p.nik_clean.value AS nik,
    p.no_kk_clean.value AS no_kk,
    n.nama,
    p.aksi,
    p.nik_baru_clean.value AS nik_baru,
    p.keterangan,
    list_filter(flatten([
        [CASE WHEN p.no_ba IS NULL THEN 'no_ba_missing' END],
        region_code_problems(p.kode_desa_raw, 'kode_desa', 10, 'desa_kelurahan'),
        p.tgl_musdes_parsed.problems,
        [CASE WHEN blank_to_null(p.tgl_musdes_raw) IS NULL THEN 'tgl_musdes_missing' END],
        p.nik_clean.problems,
        nik_problems(p.nik_clean.value, NULL::DATE, NULL::VARCHAR),
        p.no_kk_clean.problems,
        coalesce(n.problems, ['name_missing']),
        coalesce(p.code_problems, []),
        -- NIK_BARU only matters for a NIK correction, where it must be there
        CASE WHEN p.aksi = 'perbaikan_nik' OR blank_to_null(p.nik_baru_raw) IS NOT NULL
             THEN p.nik_baru_clean.problems || list_transform(nik_problems(p.nik_baru_clean.value, NULL::DATE, NULL::VARCHAR),
                                                                lambda problem: replace(problem, 'nik_', 'nik_baru_'))
             ELSE [] END
    ]), lambda problem: problem IS NOT NULL) AS problems
FROM parsed AS p
LEFT JOIN name_standard AS n ON n.nama_raw = p.nama_raw
ORDER BY p.source_file, p.line_number;
