-- The rest, first part: an unmatched record joins the Dukcapil person of another record when
-- Splink's score says it is the same person. Candidates are grouped by person (the best pair
-- per person counts); posterior(person) = 2^w / (sum over persons 2^w + 1), i.e. even odds
-- that the record's person is none of them. Taken at posterior >= {accept_probability} with
-- identity weight (name, birth date, sex) >= {min_identity_weight} ({min_identity_weight_named} when
-- both records carry the same NIK: the identity must then only not contradict it).
CREATE OR REPLACE TABLE {w}.rest_prediction AS
WITH raw AS (
    SELECT unique_id_l AS key_l, unique_id_r AS key_r, match_weight, match_probability,
           {identity_weight} AS identity_weight
    FROM {w}.rest_prediction_raw
)
SELECT raw.*,
    unify_identity_ok(raw.identity_weight, coalesce(a.nik_digits = b.nik_digits, false),
                      {min_identity_weight_named}, {min_identity_weight}) AS identity_ok
FROM raw
JOIN {w}.unify_splink_rest_node a ON a.unique_id = raw.key_l
JOIN {w}.unify_splink_rest_node b ON b.unique_id = raw.key_r;

CREATE OR REPLACE TABLE {w}.rest_link AS
WITH directed AS (
    SELECT key_l AS record_key, key_r AS other_key, match_weight, identity_weight, identity_ok FROM {w}.rest_prediction
    UNION ALL
    SELECT key_r, key_l, match_weight, identity_weight, identity_ok FROM {w}.rest_prediction
), per_person AS (
    SELECT d.record_key, m.dukcapil_key,
           arg_max(d.match_weight, d.match_weight) AS match_weight,
           arg_max(d.identity_weight, d.match_weight) AS identity_weight,
           arg_max(d.identity_ok, d.match_weight) AS identity_ok
    FROM directed d
    JOIN {w}.rest_record u ON u.unique_id = d.record_key
    JOIN {w}.padan_match m ON m.record_key = d.other_key AND m.dukcapil_key IS NOT NULL
    GROUP BY d.record_key, m.dukcapil_key
), ranked AS (
    SELECT p.*, pow(2.0, least(p.match_weight, 900)) AS odds,
           row_number() OVER (PARTITION BY p.record_key ORDER BY p.match_weight DESC, k.nik) AS rank
    FROM per_person p JOIN {w}.dukcapil k USING (dukcapil_key)
), scored AS (
    SELECT record_key, dukcapil_key, match_weight, identity_weight, identity_ok,
           -- (odds added smallest first, as in search_resolve.sql: the same posterior on every build)
           odds / (list_sum(list_sort(list(odds) OVER (PARTITION BY record_key))) + 1.0) AS posterior, rank
    FROM ranked
)
SELECT record_key, dukcapil_key, match_weight, identity_weight, posterior
FROM scored
WHERE rank = 1 AND posterior >= {accept_probability} AND identity_ok;

-- Edges between two records still unmatched: the input of the clustering (Splink's connected components).
CREATE OR REPLACE TABLE {w}.unify_splink_rest_edges AS
SELECT p.key_l AS unique_id_l, p.key_r AS unique_id_r, p.match_weight, p.match_probability
FROM {w}.rest_prediction p
JOIN {w}.rest_record a ON a.unique_id = p.key_l
JOIN {w}.rest_record b ON b.unique_id = p.key_r
WHERE p.key_l NOT IN (SELECT record_key FROM {w}.rest_link)
  AND p.key_r NOT IN (SELECT record_key FROM {w}.rest_link)
  AND p.identity_ok;

CREATE OR REPLACE TABLE {w}.unify_splink_rest_cluster_node AS
SELECT unique_id, nik_digits, name_full, name_sorted, name_words, name_letters, name_initials,
       tgl_lahir, birth_year_a, jenis_kelamin, kode_desa, kode_kec, kode_kab, kk_context, kk_source
FROM {w}.rest_record
WHERE unique_id NOT IN (SELECT record_key FROM {w}.rest_link);
