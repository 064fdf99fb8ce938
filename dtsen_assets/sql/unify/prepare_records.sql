-- {w}.record: every source person record (staging.person_record) with the features that
-- matching uses. One row per record; `record_key` is an integer for fast joins (ties are
-- always broken on source and source_record_id, never on this key).
--   nik_digits   the digits of the NIK as received (10-20 of them, not all zeros): a NIK one
--                digit short or long is still compared by edit distance against Dukcapil.
--   nik_birth    the birth date written inside a 16-digit NIK (DDMMYY, women day + 40) and
--   nik_sex      the sex it encodes; used where the record lacks its own date or sex.
--   name_*       the name's tokens ({w}.name_feature, prepare_names.sql).
--   birth_year_a / birth_year_b: the two birth years an age in years allows, counted from
--                {age_reference_year} (when REGSOSEK and P3KE were collected); the year itself
--                when the date is known.
-- record_key is the record's place in the drop: (the source's rank among the sources << 40) + its line
-- in the source's file (each source's persons are one file, whose line numbers are unique). So a record
-- has the same key in every build of a drop, whatever order staging wrote its rows in (that order
-- changes run to run), and so does everything sampled or sorted by it; and no sort is needed (numbering
-- in file order with a window sorted 1.5 million wide rows in 2.2 s at 1M persons, against 0.6 s).
-- One statement from the staged records to {w}.record: a numbered copy of them in a table first took
-- about 40% longer (10M persons: 31.5-32.6 s against 22.2-22.6 s, the same table).
CREATE OR REPLACE TABLE {w}.record AS
WITH source_rank AS (
    SELECT source, row_number() OVER (ORDER BY source) AS rank FROM (SELECT DISTINCT source FROM staging.person_record)
), numbered AS (
    SELECT (s.rank << 40) + p.line_number AS record_key,
           p.source, p.source_record_id, p.source_family_id, p.nik_raw, p.nik, p.nama, p.tgl_lahir, p.umur,
           p.jenis_kelamin, p.hub_kk, p.no_kk, p.kode_desa, p.pendidikan, p.status_bekerja, p.lapangan_usaha,
           p.kedudukan_kerja, p.disabilitas
    FROM staging.person_record p
    JOIN source_rank s USING (source)
), digits AS (
    SELECT *,
        regexp_replace(coalesce(nik_raw, ''), '[^0-9]', '', 'g') AS digits,
        CASE WHEN nik IS NOT NULL THEN try_cast(substr(nik, 7, 2) AS INTEGER) END AS nik_day,
        CASE WHEN nik IS NOT NULL THEN try_cast(substr(nik, 9, 2) AS INTEGER) END AS nik_month,
        CASE WHEN nik IS NOT NULL THEN try_cast(substr(nik, 11, 2) AS INTEGER) END AS nik_yy
    FROM numbered
)
SELECT
    r.record_key, r.source, r.source_record_id, r.source_family_id,
    r.nik_raw, r.nik, r.nama,
    CASE WHEN length(r.digits) BETWEEN 10 AND 20 AND NOT regexp_full_match(r.digits, '0+') THEN r.digits END AS nik_digits,
    CASE WHEN r.nik_day > 40 THEN 'P' WHEN r.nik_day BETWEEN 1 AND 31 THEN 'L' END AS nik_sex,
    CASE WHEN r.nik_month BETWEEN 1 AND 12 AND (r.nik_day BETWEEN 1 AND 31 OR r.nik_day BETWEEN 41 AND 71)
              AND month(make_date(CASE WHEN r.nik_yy <= {current_yy} THEN 2000 + r.nik_yy ELSE 1900 + r.nik_yy END, r.nik_month, 1)
                        + to_days(r.nik_day % 40 - 1)) = r.nik_month
         THEN CAST(make_date(CASE WHEN r.nik_yy <= {current_yy} THEN 2000 + r.nik_yy ELSE 1900 + r.nik_yy END, r.nik_month, 1)
                   + to_days(r.nik_day % 40 - 1) AS DATE) END AS nik_birth,
    n.name_tokens, n.name_full, n.name_sorted, n.name_words, n.name_letters, n.name_initials, n.first_token, n.last_token,
    r.tgl_lahir, r.umur,
    coalesce(year(r.tgl_lahir), {age_reference_year} - r.umur) AS birth_year_a,
    coalesce(year(r.tgl_lahir), {age_reference_year} - r.umur - 1) AS birth_year_b,
    r.jenis_kelamin, r.hub_kk,
    r.no_kk, r.kode_desa, left(r.kode_desa, 6) AS kode_kec, left(r.kode_desa, 4) AS kode_kab,
    r.pendidikan, r.status_bekerja, r.lapangan_usaha, r.kedudukan_kerja, r.disabilitas
FROM digits r
LEFT JOIN {w}.name_feature n ON n.nama = r.nama;
