-- {w}.name_feature: every distinct standardized name of the sources and of Dukcapil, once, with
-- the tokens matching compares (unify_name_tokens, name_macros.sql): full, sorted (order-free),
-- the parts of two letters or more (words), single letters (initials written as such), the first
-- letter of every part, the first and the last part. Names repeat a lot (about one distinct name
-- per five rows), so tokenizing each once and joining back is several times cheaper.
-- Built in steps: DuckDB expands macros in place, and one expression would split a name several times.
CREATE OR REPLACE TEMP TABLE unify_name_raw AS
SELECT nama, unify_raw_tokens(nama) AS raw_tokens
FROM (SELECT nama FROM staging.person_record WHERE nama IS NOT NULL
      UNION SELECT nama FROM staging.dukcapil_person WHERE nama IS NOT NULL
      UNION SELECT nama FROM staging.verivali_decision WHERE nama IS NOT NULL);

CREATE OR REPLACE TABLE {w}.name_feature AS
WITH stripped AS (
    SELECT nama, unify_strip_titles(raw_tokens) AS raw_tokens FROM unify_name_raw
), named AS (
    SELECT nama,
        list_filter(list_transform(raw_tokens, lambda t: unify_name_variant(regexp_replace(t, '[^A-Z]', '', 'g'))),
                    lambda t: t <> '') AS name_tokens
    FROM stripped
)
SELECT nama, name_tokens,
    nullif(array_to_string(name_tokens, ' '), '') AS name_full,
    nullif(array_to_string(list_sort(name_tokens), ' '), '') AS name_sorted,
    list_filter(name_tokens, lambda t: length(t) > 1) AS name_words,
    list_filter(name_tokens, lambda t: length(t) = 1) AS name_letters,
    list_transform(name_tokens, lambda t: t[1]) AS name_initials,
    name_tokens[1] AS first_token,
    CASE WHEN len(name_tokens) > 1 THEN name_tokens[-1] END AS last_token
FROM named;

DROP TABLE unify_name_raw;
