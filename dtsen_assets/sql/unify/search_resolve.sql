-- Step 2 decisions: for every searched record, its best Dukcapil candidate and whether it is taken.
-- posterior(c) = 2^w_c / (sum_j 2^w_j + {none_odds}): the weights w carry the prior 1/N of a random
-- pair, {none_odds} = q / (1 - q) stands for "the person is not in Dukcapil" (q the configured prior).
-- identity_weight = the match weight of the identity: name, birth date, sex ({identity_weight}).
-- Taken when posterior >= {accept_probability} and identity_weight >= {min_identity_weight}, or,
-- when the record itself names the candidate (its NIK within one edit of the candidate's, or the
-- NIK a village meeting gave), identity_weight >= {min_identity_weight_named}: the identity must
-- then only not contradict it (a relative's NIK copied onto a record contradicts: other name,
-- other birth date).
-- Otherwise `unmatched_reason` says why: no_candidate, identity_not_confirmed (only the NIK points
-- there), ambiguous (another candidate holds at least 5% of the posterior), weak_evidence.
CREATE OR REPLACE TABLE {w}.search_prediction AS
WITH raw AS (
    SELECT
        CASE WHEN source_dataset_l = 'record' THEN unique_id_l ELSE unique_id_r END AS record_key,
        CASE WHEN source_dataset_l = 'record' THEN unique_id_r ELSE unique_id_l END AS dukcapil_key,
        match_weight,
        {identity_weight} AS identity_weight
    FROM {w}.search_prediction_raw
)
SELECT raw.*,
    coalesce(levenshtein(s.nik_digits, d.nik) <= 1, false) OR coalesce(s.nik_claimed = d.nik, false) AS named,
    unify_identity_ok(raw.identity_weight,
                      coalesce(levenshtein(s.nik_digits, d.nik) <= 1, false) OR coalesce(s.nik_claimed = d.nik, false),
                      {min_identity_weight_named}, {min_identity_weight}) AS identity_ok
FROM raw
JOIN {w}.search_record s ON s.unique_id = raw.record_key
JOIN {w}.dukcapil d ON d.dukcapil_key = raw.dukcapil_key;

CREATE OR REPLACE TABLE {w}.search_match AS
WITH ranked AS (
    SELECT p.*,
        pow(2.0, least(match_weight, 900)) AS odds,
        row_number() OVER (PARTITION BY record_key ORDER BY match_weight DESC, d.nik) AS rank
    FROM {w}.search_prediction p
    JOIN {w}.dukcapil d USING (dukcapil_key)
), totals AS (
    -- odds added smallest first: a float sum's last bit depends on the order, which a GROUP BY does
    -- not fix, and the posterior is published evidence that must come out the same on every build
    SELECT record_key, list_sum(list_sort(list(odds))) AS total_odds, count(*) AS candidates,
           max(CASE WHEN rank = 2 THEN odds END) AS second_odds
    FROM ranked GROUP BY record_key
), best AS (
    SELECT b.record_key, b.dukcapil_key, b.match_weight, b.identity_weight, b.identity_ok, t.candidates,
           b.odds / (t.total_odds + {none_odds}) AS posterior,
           coalesce(t.second_odds, 0) / (t.total_odds + {none_odds}) AS second_posterior
    FROM ranked b JOIN totals t USING (record_key)
    WHERE b.rank = 1
), decided AS (
    SELECT s.unique_id AS record_key, b.dukcapil_key AS best_dukcapil_key, b.match_weight, b.identity_weight,
           coalesce(b.candidates, 0) AS candidates, b.posterior,
           b.posterior >= {accept_probability} AND b.identity_ok AS accepted,
           CASE
               WHEN b.record_key IS NULL THEN 'no_candidate'
               WHEN NOT b.identity_ok THEN 'identity_not_confirmed'
               WHEN b.posterior >= {accept_probability} THEN NULL
               WHEN b.second_posterior >= 0.05 THEN 'ambiguous'
               ELSE 'weak_evidence'
           END AS unmatched_reason
    FROM {w}.search_record s
    LEFT JOIN best b ON b.record_key = s.unique_id
)
SELECT
    x.record_key,
    CASE WHEN x.accepted THEN x.best_dukcapil_key END AS dukcapil_key,
    x.best_dukcapil_key, x.match_weight, x.identity_weight, x.candidates, x.posterior,
    CASE
        WHEN NOT coalesce(x.accepted, false) THEN NULL
        WHEN c.nik_claimed = d.nik AND r.nik_digits IS DISTINCT FROM d.nik THEN 'verivali_nik'
        WHEN r.nik_digits = d.nik THEN 'exact_nik_scored'
        WHEN r.nik_digits IS NULL THEN 'dukcapil_search'
        WHEN owner.nik IS NOT NULL THEN 'nik_ganda_resolved'
        WHEN levenshtein(r.nik_digits, d.nik) <= 2 THEN 'corrected_nik'
        ELSE 'dukcapil_search'
    END AS match_method,
    x.unmatched_reason
FROM decided x
JOIN {w}.record r USING (record_key)
LEFT JOIN {w}.dukcapil d ON d.dukcapil_key = x.best_dukcapil_key
LEFT JOIN {w}.nik_claim c USING (record_key)
LEFT JOIN {w}.dukcapil owner ON owner.nik = r.nik AND owner.dukcapil_key <> x.best_dukcapil_key;
