-- Cleaning rules shared by every staging table, as DuckDB macros (temporary: one connection).
-- Each cleaner returns the clean value and/or the names of the problems it found, so a record
-- can list every problem in `problems`. Lists of words and dates live in CSV files beside
-- dtsen_assets/staging/, loaded into the temp tables name_rule_set and date_placeholder; the macros
-- that read those tables or staging.wilayah are in lookup_macros.sql.

-- A cell as the source means it: NULL when empty or blank; runs of spaces (incl. no-break) as one.
CREATE OR REPLACE TEMP MACRO blank_to_null(text) AS
    nullif(trim(regexp_replace(text, '[\s\x{00A0}]+', ' ', 'g')), '');

-- The key a code or label is matched on: upper case, single spaces, no padding; numeric codes
-- without leading zeros or a trailing ".0" (Excel turns 2 into "02" or "2.0").
CREATE OR REPLACE TEMP MACRO normalize_code(code) AS
    regexp_replace(regexp_replace(upper(blank_to_null(code)), '^0+([0-9]+)$', '\1'), '^([0-9]+)\.0+$', '\1');

-- NIK and NO_KK: digits only, `width` long, not all zeros; otherwise NULL. Problems are named
-- `<name>_missing`, `_apostrophe`, `_spaces`, `_excel_number`, `_non_digit`, `_all_zero`, `_length`.
CREATE OR REPLACE TEMP MACRO identifier_digits(raw) AS regexp_replace(coalesce(raw, ''), '[^0-9]', '', 'g');

CREATE OR REPLACE TEMP MACRO is_excel_number(raw) AS
    regexp_matches(trim(raw), '^[0-9]([.,][0-9]+)?[eE]\+?[0-9]+$');

-- (The list_transform([...], lambda ...)[1] form computes each intermediate value once per row:
-- DuckDB expands macros in place, so a value used five times would otherwise be computed five times.)
CREATE OR REPLACE TEMP MACRO checked_identifier(raw, name, width) AS list_transform(
    [{
        'blank': blank_to_null(raw) IS NULL,
        'digits': identifier_digits(raw),
        'excel': coalesce(is_excel_number(raw), false),
        'apostrophe': coalesce(regexp_matches(raw, '^\s*[''`]'), false),
        'spaces': coalesce(regexp_matches(raw, '[\s\x{00A0}]'), false),
        'other': coalesce(regexp_matches(regexp_replace(raw, '^\s*[''`]', ''), '[^0-9\s\x{00A0}]'), false)
    }],
    lambda i: {
        'value': CASE WHEN NOT i.blank AND NOT i.excel AND length(i.digits) = width
                           AND NOT regexp_full_match(i.digits, '0+') THEN i.digits END,
        'problems': list_filter([
            CASE WHEN i.blank THEN name || '_missing' END,
            CASE WHEN i.apostrophe THEN name || '_apostrophe' END,
            CASE WHEN NOT i.blank AND i.spaces THEN name || '_spaces' END,
            CASE WHEN i.excel THEN name || '_excel_number' END,
            CASE WHEN NOT i.excel AND i.other THEN name || '_non_digit' END,
            CASE WHEN NOT i.blank AND NOT i.excel AND regexp_full_match(i.digits, '0+') THEN name || '_all_zero' END,
            CASE WHEN NOT i.blank AND NOT i.excel AND NOT regexp_full_match(i.digits, '0*')
                      AND length(i.digits) <> width THEN name || '_length' END
        ], lambda p: p IS NOT NULL)
    })[1];

-- Most identifiers arrive clean (`width` digits, not all zeros): those skip the checks, which could
-- find no problem in them.
CREATE OR REPLACE TEMP MACRO clean_identifier(raw, name, width) AS CASE
    WHEN regexp_full_match(raw, '[0-9]+') AND length(raw) = width AND NOT regexp_full_match(raw, '0+')
        THEN {'value': raw, 'problems': []::VARCHAR[]}
    ELSE checked_identifier(raw, name, width) END;

-- Kemendagri region codes (KODE_DESA 10 digits, KODE_KAB 4, ...): dotted or not; NULL unless `width` digits.
CREATE OR REPLACE TEMP MACRO clean_region_code(raw, width) AS
    CASE WHEN regexp_matches(regexp_replace(coalesce(raw, ''), '[.\s]', '', 'g'), '^[0-9]+$')
              AND length(regexp_replace(raw, '[.\s]', '', 'g')) = width
         THEN regexp_replace(raw, '[.\s]', '', 'g') END;

-- Dates in either order, DD-MM-YYYY (DTKS) or YYYY-MM-DD (all others), '-', '/' or '.' between:
-- the date as 'YYYY-MM-DD' text (not yet checked), or NULL when it has neither shape.
CREATE OR REPLACE TEMP MACRO date_parts(raw) AS CASE
    WHEN regexp_matches(trim(raw), '^[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}$')
        THEN string_split(regexp_replace(trim(raw), '[/.]', '-', 'g'), '-')
    WHEN regexp_matches(trim(raw), '^[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{4}$')
        THEN list_reverse(string_split(regexp_replace(trim(raw), '[/.]', '-', 'g'), '-'))
END;

CREATE OR REPLACE TEMP MACRO date_text(raw) AS list_transform([date_parts(raw)], lambda parts:
    printf('%04d-%02d-%02d', parts[1]::INTEGER, parts[2]::INTEGER, parts[3]::INTEGER))[1];

-- Numbers as typed: digits with an optional decimal comma or point; NULL otherwise (negative,
-- thousands separators, 'nan', '1e3': nothing is guessed).
CREATE OR REPLACE TEMP MACRO parse_number(raw) AS
    CASE WHEN regexp_full_match(blank_to_null(raw), '[0-9]+([.,][0-9]+)?')
         THEN replace(blank_to_null(raw), ',', '.')::DOUBLE END;

-- Whole counts (ages, members, livestock): NULL unless a whole number >= 0.
CREATE OR REPLACE TEMP MACRO parse_count(raw) AS
    CASE WHEN parse_number(raw) = floor(parse_number(raw)) AND parse_number(raw) < 2147483647
         THEN parse_number(raw)::INTEGER END;

-- `number_invalid:<column>` when a cell holds something that is not a valid number.
CREATE OR REPLACE TEMP MACRO number_problem(raw, parsed, column_name) AS
    CASE WHEN blank_to_null(raw) IS NOT NULL AND parsed IS NULL THEN 'number_invalid:' || column_name END;

-- 1/0 program flags (PKH, BPNT, PBI_JK).
CREATE OR REPLACE TEMP MACRO parse_flag(raw) AS TRY_CAST(blank_to_null(raw) AS BOOLEAN);

CREATE OR REPLACE TEMP MACRO flag_problem(raw, column_name) AS
    CASE WHEN blank_to_null(raw) IS NOT NULL AND parse_flag(raw) IS NULL THEN 'flag_invalid:' || column_name
         WHEN blank_to_null(raw) IS NULL THEN 'flag_missing:' || column_name END;

-- The birth-date digits of a clean NIK (PPKKCC DDMMYY SSSS); women have day + 40.
CREATE OR REPLACE TEMP MACRO nik_day(nik) AS TRY_CAST(substr(nik, 7, 2) AS INTEGER);
CREATE OR REPLACE TEMP MACRO nik_month(nik) AS TRY_CAST(substr(nik, 9, 2) AS INTEGER);
CREATE OR REPLACE TEMP MACRO nik_year2(nik) AS TRY_CAST(substr(nik, 11, 2) AS INTEGER);

-- nik_valid: a NIK is there and its birth-date and sex digits agree with the record.
CREATE OR REPLACE TEMP MACRO nik_is_valid(nik, problems) AS
    nik IS NOT NULL
    AND NOT list_has_any(problems, ['nik_birthdate_impossible', 'nik_birthdate_mismatch', 'nik_sex_mismatch']);

-- Names, word by word (the steps are in standardize_names.sql). A word is compared on its letters
-- only, so H. / H and S.PD.I / S.Pd.I are the same word.
CREATE OR REPLACE TEMP MACRO name_key(word) AS regexp_replace(word, '[^\p{L}]', '', 'g');

-- Upper case, apostrophes dropped (NUR'AINI -> NURAINI), commas, slashes, brackets and hyphens as spaces.
CREATE OR REPLACE TEMP MACRO name_words(raw) AS list_filter(
    string_split(trim(regexp_replace(regexp_replace(upper(raw), '[''`´‘’]', '', 'g'), '[\s\x{00A0},;/()_-]+', ' ', 'g')), ' '),
    lambda w: w <> '');

-- DRS.H.AHMAD, MUH.SOLEH, M.YUSUF: words glued by dots are split at the dots, unless the whole
-- word is a degree (S.PD.I, A.MD), which is dropped whole later.
CREATE OR REPLACE TEMP MACRO split_glued_words(words, titles_after) AS flatten(list_transform(words, lambda w:
    CASE WHEN regexp_matches(w, '\.\p{L}') AND NOT map_contains(titles_after, name_key(w))
         THEN list_filter(string_split(regexp_replace(w, '\.', '. ', 'g'), ' '), lambda part: part <> '')
         ELSE [w] END));
