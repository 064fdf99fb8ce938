-- staging.person_record: one row per person record of DTKS, P3KE and REGSOSEK, in one vocabulary.
-- Each source's codes are decoded as its records are read: {<source>_codes} and {<source>_code_joins},
-- written by staging/codes.py over the lookup tables <source>_person_codes. Reads the standardized names
-- (name_standard) and the published staging.family_record (the family's card and village).
-- No ORDER BY: nothing downstream reads rows in table order (previews and checks order explicitly), and
-- sorting 32 million wide rows ran out of an 8 GB memory limit at 10M persons (the joins spill, the sort did not).
CREATE OR REPLACE TABLE {target} AS
WITH persons AS (
    SELECT
        'dtks' AS source, p.ID_ART AS source_record_id, p.ID_KELUARGA AS source_family_id,
        p._line_number AS line_number, p.NIK AS nik_raw, p.NAMA AS nama_raw, p.TGL_LAHIR AS tgl_lahir_raw,
        NULL::VARCHAR AS umur_raw,
        {dtks_codes}
    FROM raw.dtks_art AS p
    {dtks_code_joins}

    UNION ALL BY NAME

    SELECT
        'p3ke' AS source, p.ID_INDIVIDU AS source_record_id, p.ID_KELUARGA_P3KE AS source_family_id,
        p._line_number AS line_number, p.NIK AS nik_raw, p.NAMA AS nama_raw, p.TANGGAL_LAHIR AS tgl_lahir_raw,
        p.USIA AS umur_raw,
        {p3ke_codes}
    FROM raw.p3ke_individu AS p
    {p3ke_code_joins}

    UNION ALL BY NAME

    SELECT
        'regsosek' AS source, p.ID_KELUARGA || '-' || p.NO_ART AS source_record_id,
        p.ID_KELUARGA AS source_family_id, p._line_number AS line_number, p.NIK AS nik_raw, p.NAMA AS nama_raw,
        p.TGL_LAHIR AS tgl_lahir_raw, p.UMUR AS umur_raw,
        {regsosek_codes}
    FROM raw.regsosek_individu AS p
    {regsosek_code_joins}
),
-- Each distinct birth-date text is read once (tens of thousands of them, not one per record).
birth_dates AS (
    SELECT tgl_lahir_raw, parse_date(tgl_lahir_raw, 'date') AS tgl_lahir_parsed,
           blank_to_null(tgl_lahir_raw) IS NULL AS tgl_lahir_blank
    FROM (SELECT TGL_LAHIR AS tgl_lahir_raw FROM raw.dtks_art
          UNION SELECT TANGGAL_LAHIR FROM raw.p3ke_individu
          UNION SELECT TGL_LAHIR FROM raw.regsosek_individu)
),
parsed AS (
    SELECT
        p.*,
        clean_identifier(p.nik_raw, 'nik', 16) AS nik_clean,
        d.tgl_lahir_parsed,
        d.tgl_lahir_blank,
        -- An age above 120 is a typing error, not a person.
        CASE WHEN parse_count(p.umur_raw) <= 120 THEN parse_count(p.umur_raw) END AS umur
    FROM persons AS p
    LEFT JOIN birth_dates AS d ON d.tgl_lahir_raw IS NOT DISTINCT FROM p.tgl_lahir_raw
),
checked AS (
    SELECT *, nik_problems(nik_clean.value, tgl_lahir_parsed.value, jenis_kelamin) AS nik_digit_problems
    FROM parsed
)
SELECT
    p.source,
    p.source_record_id,
    p.source_family_id,
    p.line_number,
    p.nik_raw,
    p.nik_clean.value AS nik,
    nik_is_valid(p.nik_clean.value, p.nik_digit_problems) AS nik_valid,
    p.nama_raw,
    n.nama,
    p.tgl_lahir_parsed.value AS tgl_lahir,
    p.umur,
    p.jenis_kelamin,
    p.hub_kk,
    f.no_kk,
    f.kode_desa,
    p.pendidikan,
    p.status_bekerja,
    p.lapangan_usaha,
    p.kedudukan_kerja,
    p.disabilitas,
    p.penyakit_kronis,
    list_filter(flatten([
        p.nik_clean.problems,
        p.nik_digit_problems,
        coalesce(n.problems, ['name_missing']),
        p.tgl_lahir_parsed.problems,
        [CASE WHEN NOT p.tgl_lahir_blank THEN NULL
              WHEN p.umur IS NOT NULL THEN 'date_missing_age_only'
              ELSE 'date_missing' END],
        [CASE WHEN blank_to_null(p.umur_raw) IS NOT NULL AND p.umur IS NULL THEN 'umur_invalid' END],
        coalesce(p.code_problems, []),
        [CASE WHEN f.source_family_id IS NULL THEN 'family_missing' END]
    ]), lambda problem: problem IS NOT NULL) AS problems
FROM checked AS p
LEFT JOIN name_standard AS n ON n.nama_raw = p.nama_raw
LEFT JOIN staging.family_record AS f ON f.source = p.source AND f.source_family_id = p.source_family_id;
