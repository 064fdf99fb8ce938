-- Match evidence of the candidate search (step 2 of padan), kept before its working tables are
-- dropped (unify/evidence.py; published in unify.match_evidence by match_evidence.sql).
-- Per searched record: its best Dukcapil candidate and the runner-up, ranked exactly as
-- search_resolve.sql ranks them (match weight, then NIK), with their match weights, and per
-- comparison of the model (nik, nama, tgl_lahir, jenis_kelamin, desa, kartu_keluarga) the level
-- that applied and its weight in bits ({field_evidence}: a list of (field, level, weight)).
-- The runner-up's posterior follows from the chosen one's: both share the denominator of
-- search_resolve.sql, so posterior_2 = posterior_1 * 2^(w_2 - w_1).
CREATE OR REPLACE TABLE {w}.evidence_search AS
WITH oriented AS (
    SELECT
        CASE WHEN source_dataset_l = 'record' THEN unique_id_l ELSE unique_id_r END AS record_key,
        CASE WHEN source_dataset_l = 'record' THEN unique_id_r ELSE unique_id_l END AS dukcapil_key,
        {field_evidence} AS field_evidence
    FROM {w}.search_prediction_raw
), ranked AS (
    SELECT p.record_key, p.dukcapil_key, d.nik, p.match_weight, p.identity_weight, o.field_evidence,
           row_number() OVER (PARTITION BY p.record_key ORDER BY p.match_weight DESC, d.nik) AS rank
    FROM {w}.search_prediction p
    JOIN {w}.dukcapil d USING (dukcapil_key)
    JOIN oriented o ON o.record_key = p.record_key AND o.dukcapil_key = p.dukcapil_key
)
SELECT
    m.record_key, m.candidates, m.posterior AS chosen_posterior,
    b.nik AS chosen_nik, b.match_weight AS chosen_match_weight, b.identity_weight AS chosen_identity_weight,
    b.field_evidence,
    s.nik AS runner_up_nik, s.match_weight AS runner_up_match_weight,
    m.posterior * pow(2.0, s.match_weight - b.match_weight) AS runner_up_posterior,
    s.field_evidence AS runner_up_field_evidence
FROM {w}.search_match m
LEFT JOIN ranked b ON b.record_key = m.record_key AND b.rank = 1
LEFT JOIN ranked s ON s.record_key = m.record_key AND s.rank = 2;
