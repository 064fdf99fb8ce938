-- staging.susenas_household: the SUSENAS sample in the canonical family welfare variables, so the
-- PMT model trained here sees the features dtsen.family has. Reads temp table susenas_codes; the
-- head's person codes (KRT_*) are decoded as the codebook's person variables and renamed krt_*.
-- Column lists in {braces} come from the vocabulary (dtsen_assets/staging/columns.py).
CREATE OR REPLACE TABLE {target} AS
WITH households AS (
    SELECT
        h.ID_RT AS id_rt,
        h._line_number AS line_number,
        h.KODE_KAB AS kode_kab_raw, h.BOBOT AS bobot_raw, h.PENGELUARAN_KAPITA AS pengeluaran_kapita_raw,
        {susenas_numbers_raw},
        c.* EXCLUDE (record_id)
    FROM raw.susenas_rumah_tangga AS h
    LEFT JOIN susenas_codes AS c ON c.record_id = h.ID_RT
),
parsed AS (
    SELECT
        *,
        parse_number(bobot_raw) AS bobot,
        parse_number(pengeluaran_kapita_raw) AS pengeluaran_kapita,
        CASE WHEN parse_count(krt_umur_raw) <= 120 THEN parse_count(krt_umur_raw) END AS krt_umur,
        {numbers_parsed}
    FROM households
)
SELECT
    id_rt,
    line_number,
    bobot,
    pengeluaran_kapita,
    clean_region_code(kode_kab_raw, 4) AS kode_kab,
    {composition},
    {head},
    {welfare_variables},
    list_filter(flatten([
        region_code_problems(kode_kab_raw, 'kode_kab', 4, 'kabupaten_kota'),
        -- without a weight or a measured consumption a household cannot train the PMT model
        [CASE WHEN blank_to_null(bobot_raw) IS NULL THEN 'bobot_missing' END,
         CASE WHEN blank_to_null(pengeluaran_kapita_raw) IS NULL THEN 'pengeluaran_kapita_missing' END],
        [
            number_problem(bobot_raw, bobot, 'bobot'),
            number_problem(pengeluaran_kapita_raw, pengeluaran_kapita, 'pengeluaran_kapita'),
            {number_problems}
        ],
        -- the head's variables carry their column's name: code_unknown:krt_pendidikan
        list_transform(coalesce(code_problems, []), lambda problem:
            CASE WHEN split_part(problem, ':', 2) IN ({head_codes})
                 THEN replace(problem, ':', ':krt_') ELSE problem END)
    ]), lambda problem: problem IS NOT NULL) AS problems
FROM parsed
ORDER BY line_number;
