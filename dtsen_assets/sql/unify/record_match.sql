-- Every record's outcome: the person it becomes and how.
-- Resolved to a Dukcapil person: padan (padan_match.sql) or, for the rest, linked to another
-- record's person (rest_link.sql: `linked_record`). Still unmatched: a person of its own, shared
-- with the records it clusters with (rest cluster: `probabilistic_cluster`, else `unmatched`).
-- Rejected (no person): a record without a usable name that no Dukcapil person was found for
-- (`tanpa_nama`): nothing identifies it.
-- match_score: the rule's 1 for a record confirmed on its own NIK, the posterior of the Dukcapil
-- person (or of the other record's person) it was matched to, the best link of its cluster;
-- NULL for a record that stands alone (`unmatched`) or was rejected.
-- person_anchor says what person_id is derived from (person.sql): 'nik:<NIK>' for a person of
-- Dukcapil, else 'rec:<source>:<record id>' of the smallest record of its cluster.
CREATE OR REPLACE TABLE {w}.record_match AS
WITH cluster_stats AS (
    SELECT c.cluster_id, count(*) AS cluster_size, min(r.source || ':' || r.source_record_id) AS cluster_anchor
    FROM {w}.rest_cluster c JOIN {w}.record r ON r.record_key = c.unique_id
    GROUP BY c.cluster_id
), edge_score AS (
    SELECT record_key, max(match_probability) AS score FROM (
        SELECT unique_id_l AS record_key, match_probability FROM {w}.unify_splink_rest_edges
        UNION ALL SELECT unique_id_r, match_probability FROM {w}.unify_splink_rest_edges)
    GROUP BY record_key
), base AS (
    SELECT r.record_key, r.source, r.source_record_id, r.source_family_id, r.name_full IS NULL AS nameless,
           coalesce(p.dukcapil_key, l.dukcapil_key) AS dukcapil_key,
           p.dukcapil_key IS NOT NULL AS padan_found,
           p.match_method AS padan_method, p.match_score AS padan_score, p.unmatched_reason,
           l.posterior AS link_score,
           c.cluster_id, cs.cluster_size, cs.cluster_anchor, e.score AS edge_score
    FROM {w}.record r
    JOIN {w}.padan_match p ON p.record_key = r.record_key
    LEFT JOIN {w}.rest_link l ON l.record_key = r.record_key
    LEFT JOIN {w}.rest_cluster c ON c.unique_id = r.record_key
    LEFT JOIN cluster_stats cs ON cs.cluster_id = c.cluster_id
    LEFT JOIN edge_score e ON e.record_key = r.record_key
)
SELECT
    b.record_key, b.source, b.source_record_id, b.source_family_id, b.dukcapil_key,
    CASE
        WHEN b.padan_found THEN b.padan_method
        WHEN b.dukcapil_key IS NOT NULL THEN 'linked_record'
        WHEN b.nameless THEN NULL
        WHEN b.cluster_size > 1 THEN 'probabilistic_cluster'
        ELSE 'unmatched'
    END AS match_method,
    CASE
        WHEN b.padan_found THEN b.padan_score
        WHEN b.dukcapil_key IS NOT NULL THEN b.link_score
        WHEN b.nameless THEN NULL
        WHEN b.cluster_size > 1 THEN b.edge_score
    END AS match_score,
    CASE WHEN b.dukcapil_key IS NULL AND b.nameless THEN 'tanpa_nama' END AS reject_reason,
    b.unmatched_reason,
    CASE
        WHEN b.dukcapil_key IS NOT NULL THEN 'nik:' || d.nik
        WHEN b.nameless THEN NULL
        WHEN b.cluster_size > 1 THEN 'rec:' || b.cluster_anchor
        ELSE 'rec:' || b.source || ':' || b.source_record_id
    END AS person_anchor
FROM base b
LEFT JOIN {w}.dukcapil d ON d.dukcapil_key = b.dukcapil_key;
