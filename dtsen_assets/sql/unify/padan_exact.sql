-- Step 1 of padan: a record whose NIK is a Dukcapil NIK, checked against that person's identity.
-- One row per record whose cleaned NIK is in Dukcapil. The identity agrees (status
-- `confirmed`) when the sex agrees (or one side does not say) and
--   * the birth dates are equal and the names agree at least {min_name_score}, or
--   * the record has no birth date, its age (if any) fits the Dukcapil date within a year,
--     and the names agree at least {min_name_score_without_date}, or
--   * the dates differ in one of day, month, year (or day and month are swapped) and the names
--     agree at least {min_name_score_near_date}.
-- Otherwise the NIK belongs to someone else (NIK ganda) or cannot be trusted: the record goes
-- to the candidate search (step 2), where this Dukcapil person is one candidate among others.
CREATE OR REPLACE TABLE {w}.exact_pair AS
WITH pair AS (
    SELECT
        r.record_key, d.dukcapil_key,
        r.jenis_kelamin IS NULL OR d.jenis_kelamin IS NULL OR r.jenis_kelamin = d.jenis_kelamin AS sex_ok,
        r.tgl_lahir = d.tgl_lahir AS date_exact,
        r.tgl_lahir IS NULL AND (r.birth_year_a IS NULL OR abs(r.birth_year_a - year(d.tgl_lahir)) <= 1) AS date_absent_ok,
        (year(r.tgl_lahir) = year(d.tgl_lahir))::INT + (month(r.tgl_lahir) = month(d.tgl_lahir))::INT
            + (day(r.tgl_lahir) = day(d.tgl_lahir))::INT >= 2
            OR (year(r.tgl_lahir) = year(d.tgl_lahir) AND month(r.tgl_lahir) = day(d.tgl_lahir)
                AND day(r.tgl_lahir) = month(d.tgl_lahir)) AS date_near,
        unify_name_score(r.name_full, r.name_sorted, r.name_words, r.name_letters, r.name_initials,
                         d.name_full, d.name_sorted, d.name_words, d.name_letters, d.name_initials) AS name_score,
        r.name_full IS NULL AS name_absent
    FROM {w}.record r
    JOIN {w}.dukcapil d ON d.nik = r.nik
)
SELECT
    record_key, dukcapil_key, name_score,
    CASE
        WHEN NOT sex_ok THEN 'sex_differs'
        WHEN coalesce(date_exact, false) AND (name_absent OR name_score >= {min_name_score}) THEN 'confirmed'
        WHEN coalesce(date_absent_ok, false) AND name_score >= {min_name_score_without_date} THEN 'confirmed'
        WHEN coalesce(date_near, false) AND name_score >= {min_name_score_near_date} THEN 'confirmed'
        WHEN coalesce(date_exact, false) THEN 'name_differs'
        WHEN coalesce(name_score, 0) >= {min_name_score} THEN 'date_differs'
        ELSE 'identity_differs'
    END AS status
FROM pair;
