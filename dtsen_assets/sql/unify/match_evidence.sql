-- The evidence of how each source record was linked, staged for publication with the other unify
-- tables (an internal table, read by `python -m dtsen_assets.explain`; docs/audit.md). Built right
-- after record_match.sql, from the working tables of the matching steps, so that those can be
-- dropped before persons and families are built (pipeline.py).
--
-- unify.match_evidence: one row per source person record (source, source_record_id), how it was
-- linked; the person it became, the method, score and reject reason are dtsen.person_source's (same
-- key) and the NIK as written is staging.person_record's, so they are not repeated here.
--   own_nik_status / own_nik_name_score: step 1 (padan_exact.sql), when the record's own NIK is a
--     Dukcapil NIK: 'confirmed' or why not (sex_differs, name_differs, date_differs, identity_differs).
--   chosen_* / runner_up_*: step 2 (search_resolve.sql): the best candidate and the next one, their
--     match weight (bits), posterior, and per field the level and its weight (field_evidence);
--     agreeing_fields / disagreeing_fields: the fields whose weight is positive / negative.
--   nik_verivali: the NIK a village meeting gave for the record (PERBAIKAN_NIK), if any.
--   linked_posterior / linked_match_weight: rest_link.sql, a record joined to another record's person.
--   nik_dukcapil: the NIK of the Dukcapil person the record became (NULL when none);
--   nik_chosen / nik_runner_up: the two best candidates' NIKs.
CREATE OR REPLACE TABLE {match_evidence_table} AS
SELECT
    m.source, m.source_record_id, m.unmatched_reason,
    CASE
        WHEN m.match_method IN ('exact_nik', 'cleaned_nik') THEN 'padan_nik_sendiri'
        WHEN es.record_key IS NOT NULL AND m.dukcapil_key IS NOT NULL AND m.match_method <> 'linked_record' THEN 'padan_pencarian'
        WHEN m.match_method = 'linked_record' THEN 'tautan_record_lain'
        WHEN m.match_method = 'probabilistic_cluster' THEN 'klaster_probabilistik'
        ELSE 'tidak_tertaut'
    END AS step,
    d.nik AS nik_dukcapil,
    ep.status AS own_nik_status, ep.name_score::DOUBLE AS own_nik_name_score,
    c.nik_claimed AS nik_verivali,
    es.candidates::INTEGER AS candidates,
    es.chosen_nik AS nik_chosen, es.chosen_match_weight::DOUBLE AS chosen_match_weight, es.chosen_posterior::DOUBLE AS chosen_posterior,
    es.chosen_identity_weight::DOUBLE AS chosen_identity_weight,
    es.field_evidence,
    list_transform(list_filter(es.field_evidence, lambda f: f.weight > 0), lambda f: f.field) AS agreeing_fields,
    list_transform(list_filter(es.field_evidence, lambda f: f.weight < 0), lambda f: f.field) AS disagreeing_fields,
    es.runner_up_nik AS nik_runner_up, es.runner_up_match_weight::DOUBLE AS runner_up_match_weight,
    es.runner_up_posterior::DOUBLE AS runner_up_posterior,
    es.runner_up_field_evidence,
    l.posterior::DOUBLE AS linked_posterior, l.match_weight::DOUBLE AS linked_match_weight
FROM {w}.record_match m
LEFT JOIN {w}.dukcapil d ON d.dukcapil_key = m.dukcapil_key
LEFT JOIN {w}.exact_pair ep ON ep.record_key = m.record_key
LEFT JOIN {w}.nik_claim c ON c.record_key = m.record_key
LEFT JOIN {w}.evidence_search es ON es.record_key = m.record_key
LEFT JOIN {w}.rest_link l ON l.record_key = m.record_key;
