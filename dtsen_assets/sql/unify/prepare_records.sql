-- {w}.record: every source person record (staging.person_record) with the features that
-- matching uses. One row per record; `record_key` is a dense integer for fast joins (ties are
-- always broken on source and source_record_id, never on this key).
--   nik_digits   the digits of the NIK as received (10-20 of them, not all zeros): a NIK one
--                digit short or long is still compared by edit distance against Dukcapil.
--   nik_birth    the birth date written inside a 16-digit NIK (DDMMYY, women day + 40) and
--   nik_sex      the sex it encodes; used where the record lacks its own date or sex.
--   name_*       tokens of unify_name_tokens (name_macros.sql): full, sorted (order-free), first, last.
--   birth_year_a / birth_year_b: the two birth years an age in years allows, counted from
--                {age_reference_year} (when REGSOSEK and P3KE were collected); the year itself
--                when the date is known.
-- Names are tokenized in steps (raw tokens first): DuckDB expands macros in place, and one
-- expression would split every name several times; the numbering is kept apart from heavy
-- expressions (a window over the whole table runs on one thread).
CREATE OR REPLACE TEMP TABLE unify_record_numbered AS
SELECT row_number() OVER () AS record_key, * FROM staging.person_record;

CREATE OR REPLACE TEMP TABLE unify_record_raw AS
SELECT record_key, unify_raw_tokens(nama) AS raw_tokens FROM unify_record_numbered;

CREATE OR REPLACE TEMP TABLE unify_record_tokens AS
SELECT n.*, unify_strip_titles(t.raw_tokens) AS raw_tokens,
       regexp_replace(coalesce(n.nik_raw, ''), '[^0-9]', '', 'g') AS digits
FROM unify_record_numbered n JOIN unify_record_raw t USING (record_key);
DROP TABLE unify_record_numbered;
DROP TABLE unify_record_raw;

CREATE OR REPLACE TABLE {w}.record AS
WITH named AS (
    SELECT *,
        list_filter(list_transform(raw_tokens, lambda t: unify_name_variant(regexp_replace(t, '[^A-Z]', '', 'g'))),
                    lambda t: t <> '') AS name_tokens,
        CASE WHEN nik IS NOT NULL THEN try_cast(substr(nik, 7, 2) AS INTEGER) END AS nik_day,
        CASE WHEN nik IS NOT NULL THEN try_cast(substr(nik, 9, 2) AS INTEGER) END AS nik_month,
        CASE WHEN nik IS NOT NULL THEN try_cast(substr(nik, 11, 2) AS INTEGER) END AS nik_yy
    FROM unify_record_tokens
)
SELECT
    record_key, source, source_record_id, source_family_id, line_number,
    nik_raw, nik, nama,
    CASE WHEN length(digits) BETWEEN 10 AND 20 AND NOT regexp_full_match(digits, '0+') THEN digits END AS nik_digits,
    CASE WHEN nik_day > 40 THEN 'P' WHEN nik_day BETWEEN 1 AND 31 THEN 'L' END AS nik_sex,
    try_cast(printf('%04d-%02d-%02d', CASE WHEN nik_yy <= {current_yy} THEN 2000 + nik_yy ELSE 1900 + nik_yy END,
                    nik_month, CASE WHEN nik_day > 40 THEN nik_day - 40 ELSE nik_day END) AS DATE) AS nik_birth,
    name_tokens,
    nullif(array_to_string(name_tokens, ' '), '') AS name_full,
    nullif(array_to_string(list_sort(name_tokens), ' '), '') AS name_sorted,
    list_filter(name_tokens, lambda t: length(t) > 1) AS name_words,
    list_filter(name_tokens, lambda t: length(t) = 1) AS name_letters,
    list_transform(name_tokens, lambda t: t[1]) AS name_initials,
    name_tokens[1] AS first_token,
    CASE WHEN len(name_tokens) > 1 THEN name_tokens[-1] END AS last_token,
    tgl_lahir, umur,
    coalesce(year(tgl_lahir), {age_reference_year} - umur) AS birth_year_a,
    coalesce(year(tgl_lahir), {age_reference_year} - umur - 1) AS birth_year_b,
    jenis_kelamin, hub_kk,
    no_kk, kode_desa, left(kode_desa, 6) AS kode_kec, left(kode_desa, 4) AS kode_kab,
    pendidikan, status_bekerja, lapangan_usaha, kedudukan_kerja, disabilitas, penyakit_kronis,
    problems
FROM named;

DROP TABLE unify_record_tokens;
