-- Cleaning rules that look things up: placeholder dates (temp table date_placeholder) and
-- today's region codes (staging.wilayah). Installed after macros.sql, once those tables exist.

-- The problems of a region code: `<name>_missing`, `_invalid` (not `width` digits), `_unknown`
-- (not in today's Kemendagri list of that level, staging.wilayah).
CREATE OR REPLACE TEMP MACRO region_code_problems(raw, name, width, level) AS list_filter([
    CASE WHEN blank_to_null(raw) IS NULL THEN name || '_missing'
         WHEN clean_region_code(raw, width) IS NULL THEN name || '_invalid'
         WHEN clean_region_code(raw, width) NOT IN (SELECT kode FROM staging.wilayah WHERE tingkat = level)
             THEN name || '_unknown'
    END
], lambda p: p IS NOT NULL);

-- A date: NULL when unparseable, a documented placeholder (date_placeholders.csv), impossible
-- (31-02-1980) or outside 1900-01-01 .. today. Problems `<name>_unparseable`, `_placeholder`,
-- `_impossible`, `_out_of_range`; an empty cell is no problem here (the caller knows if it must be there).
CREATE OR REPLACE TEMP MACRO parse_date(raw, name) AS list_transform(
    [{
        'text': date_text(raw),
        'blank': blank_to_null(raw) IS NULL,
        'placeholder': coalesce(date_text(raw) IN (SELECT date FROM date_placeholder), false)
    }],
    lambda d: list_transform([try_strptime(d.text, '%Y-%m-%d')::DATE], lambda parsed: {
        'value': CASE WHEN NOT d.placeholder AND parsed BETWEEN DATE '1900-01-01' AND current_date THEN parsed END,
        'problems': list_filter([
            CASE
                WHEN d.blank THEN NULL
                WHEN d.text IS NULL THEN name || '_unparseable'
                WHEN d.placeholder THEN name || '_placeholder'
                WHEN parsed IS NULL THEN name || '_impossible'
                WHEN NOT parsed BETWEEN DATE '1900-01-01' AND current_date THEN name || '_out_of_range'
            END
        ], lambda p: p IS NOT NULL)
    })[1])[1];

-- What the digits of a clean NIK (PPKKCC DDMMYY SSSS) say against the record's birth date and sex.
-- Women have day + 40. The region prefix may be one that no longer exists (regions split since the
-- NIK was issued): a province known today makes it plausible (`nik_region_old`), otherwise
-- `nik_region_unknown`; neither makes the NIK invalid.
CREATE OR REPLACE TEMP MACRO nik_problems(nik, tgl_lahir, jenis_kelamin) AS list_filter([
    CASE
        WHEN nik IS NULL THEN NULL
        WHEN NOT (nik_day(nik) BETWEEN 1 AND 31 OR nik_day(nik) BETWEEN 41 AND 71)
             OR NOT nik_month(nik) BETWEEN 1 AND 12 THEN 'nik_birthdate_impossible'
        WHEN tgl_lahir IS NOT NULL
             AND (nik_day(nik) % 40 <> day(tgl_lahir) OR nik_month(nik) <> month(tgl_lahir)
                  OR nik_year2(nik) <> year(tgl_lahir) % 100) THEN 'nik_birthdate_mismatch'
    END,
    CASE WHEN nik IS NOT NULL AND jenis_kelamin IS NOT NULL
              AND (nik_day(nik) > 40) <> (jenis_kelamin = 'P') THEN 'nik_sex_mismatch' END,
    CASE WHEN substr(nik, 13, 4) = '0000' THEN 'nik_serial_zero' END,
    CASE
        WHEN nik IS NULL THEN NULL
        WHEN left(nik, 4) IN (SELECT kode FROM staging.wilayah WHERE tingkat = 'kabupaten_kota') THEN NULL
        WHEN left(nik, 2) IN (SELECT kode FROM staging.wilayah WHERE tingkat = 'provinsi') THEN 'nik_region_old'
        ELSE 'nik_region_unknown'
    END
], lambda p: p IS NOT NULL);

