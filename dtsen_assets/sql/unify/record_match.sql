-- Every record's outcome: the person it becomes and how.
-- Resolved to a Dukcapil person: padan (padan_match.sql) or, for the rest, linked to another
-- record's person (rest_link.sql: `linked_record`). Still unmatched: a person of its own, shared
-- with the records it clusters with (rest cluster: `probabilistic_cluster`, else `unmatched`).
-- Rejected (no person): a record without a usable name that no Dukcapil person was found for
-- (`tanpa_nama`): nothing identifies it.
-- person_anchor says what person_id is derived from (person.sql): 'nik:<NIK>' for a person of
-- Dukcapil, else 'rec:<source>:<record id>' of the smallest record of its cluster.
CREATE OR REPLACE TABLE {w}.record_match AS
WITH base AS (
    SELECT r.record_key, r.source, r.source_record_id, r.source_family_id, r.name_full,
           coalesce(p.dukcapil_key, l.dukcapil_key) AS dukcapil_key,
           p.dukcapil_key IS NOT NULL AS padan_found,
           p.match_method AS padan_method, p.match_score AS padan_score, p.unmatched_reason,
           l.posterior AS link_score,
           c.cluster_id
    FROM {w}.record r
    LEFT JOIN {w}.padan_match p ON p.record_key = r.record_key
    LEFT JOIN {w}.rest_link l ON l.record_key = r.record_key
    LEFT JOIN {w}.rest_cluster c ON c.unique_id = r.record_key
), clustered AS (
    SELECT *,
        CASE WHEN cluster_id IS NOT NULL THEN count(*) OVER (PARTITION BY cluster_id) END AS cluster_size,
        CASE WHEN cluster_id IS NOT NULL
             THEN min(source || ':' || source_record_id) OVER (PARTITION BY cluster_id) END AS cluster_anchor
    FROM base
)
SELECT
    c.record_key, c.source, c.source_record_id, c.source_family_id, c.dukcapil_key,
    CASE
        WHEN c.padan_found THEN c.padan_method
        WHEN c.dukcapil_key IS NOT NULL THEN 'linked_record'
        WHEN c.name_full IS NULL THEN NULL
        WHEN c.cluster_size > 1 THEN 'probabilistic_cluster'
        ELSE 'unmatched'
    END AS match_method,
    CASE
        WHEN c.padan_found THEN c.padan_score
        WHEN c.dukcapil_key IS NOT NULL THEN c.link_score
        WHEN c.name_full IS NULL THEN NULL
        WHEN c.cluster_size > 1 THEN (SELECT max(e.match_probability) FROM {w}.unify_splink_rest_edges e
                                      WHERE e.unique_id_l = c.record_key OR e.unique_id_r = c.record_key)
    END AS match_score,
    CASE WHEN c.dukcapil_key IS NULL AND c.name_full IS NULL THEN 'tanpa_nama' END AS reject_reason,
    c.unmatched_reason,
    CASE
        WHEN c.dukcapil_key IS NOT NULL THEN 'nik:' || d.nik
        WHEN c.name_full IS NULL THEN NULL
        WHEN c.cluster_size > 1 THEN 'rec:' || c.cluster_anchor
        ELSE 'rec:' || c.source || ':' || c.source_record_id
    END AS person_anchor
FROM clustered c
LEFT JOIN {w}.dukcapil d ON d.dukcapil_key = c.dukcapil_key;
