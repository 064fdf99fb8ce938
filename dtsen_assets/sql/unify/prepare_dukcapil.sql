-- {w}.dukcapil: the civil registry (staging.dukcapil_person) with the same features as
-- {w}.record, so a record and a Dukcapil person are compared column by column.
-- Dukcapil holds one row per NIK; should an extract repeat a NIK, its first line is kept.
-- (Steps as in prepare_records.sql: numbering apart from the name work.)
CREATE OR REPLACE TEMP TABLE unify_dukcapil_numbered AS
SELECT row_number() OVER () AS dukcapil_key, nik, no_kk, nama, tgl_lahir, jenis_kelamin, hub_kk, kode_desa,
       coalesce(is_alive, true) AS is_alive, tgl_meninggal, line_number
FROM staging.dukcapil_person
WHERE nik IS NOT NULL
  AND (nik, line_number) IN (SELECT (nik, min(line_number)) FROM staging.dukcapil_person GROUP BY nik);

CREATE OR REPLACE TEMP TABLE unify_dukcapil_raw AS
SELECT dukcapil_key, unify_raw_tokens(nama) AS raw_tokens FROM unify_dukcapil_numbered;

CREATE OR REPLACE TABLE {w}.dukcapil AS
WITH stripped AS (
    SELECT dukcapil_key, unify_strip_titles(raw_tokens) AS raw_tokens FROM unify_dukcapil_raw
), named AS (
    SELECT dukcapil_key,
        list_filter(list_transform(raw_tokens, lambda t: unify_name_variant(regexp_replace(t, '[^A-Z]', '', 'g'))),
                    lambda t: t <> '') AS name_tokens
    FROM stripped
)
SELECT
    d.dukcapil_key,
    d.nik, d.no_kk, d.nama, n.name_tokens,
    nullif(array_to_string(n.name_tokens, ' '), '') AS name_full,
    nullif(array_to_string(list_sort(n.name_tokens), ' '), '') AS name_sorted,
    list_filter(n.name_tokens, lambda t: length(t) > 1) AS name_words,
    list_filter(n.name_tokens, lambda t: length(t) = 1) AS name_letters,
    list_transform(n.name_tokens, lambda t: t[1]) AS name_initials,
    n.name_tokens[1] AS first_token,
    CASE WHEN len(n.name_tokens) > 1 THEN n.name_tokens[-1] END AS last_token,
    d.tgl_lahir, d.jenis_kelamin, d.hub_kk, d.kode_desa,
    left(d.kode_desa, 6) AS kode_kec, left(d.kode_desa, 4) AS kode_kab,
    d.is_alive, d.tgl_meninggal
FROM unify_dukcapil_numbered d
JOIN named n USING (dukcapil_key);

DROP TABLE unify_dukcapil_numbered;
DROP TABLE unify_dukcapil_raw;
