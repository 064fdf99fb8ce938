-- Every record's Dukcapil person after padan (steps 1 and 2), with how it was found.
--   exact_nik     step 1, the NIK as written          cleaned_nik   step 1, after an apostrophe or spaces were removed
--   the step-2 methods of search_resolve.sql (corrected_nik, nik_ganda_resolved, verivali_nik,
--   exact_nik_scored, dukcapil_search), with the candidate's posterior as score.
-- Step-1 matches score 1: a deterministic rule, checked on name, birth date and sex.
CREATE OR REPLACE TABLE {w}.padan_match AS
SELECT r.record_key, e.dukcapil_key,
       CASE WHEN r.nik_raw = r.nik THEN 'exact_nik' ELSE 'cleaned_nik' END AS match_method,
       1.0::DOUBLE AS match_score,
       NULL::VARCHAR AS unmatched_reason
FROM {w}.record r
JOIN {w}.exact_pair e ON e.record_key = r.record_key AND e.status = 'confirmed'
UNION ALL
SELECT record_key, dukcapil_key, match_method, posterior, unmatched_reason
FROM {w}.search_match;
