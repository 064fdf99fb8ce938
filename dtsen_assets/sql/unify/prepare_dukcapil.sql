-- {w}.dukcapil: the civil registry (staging.dukcapil_person) with the same features as
-- {w}.record, so a record and a Dukcapil person are compared column by column.
-- Dukcapil holds one row per NIK; should an extract repeat a NIK, its first line is kept.
-- Names come from {w}.name_feature (prepare_names.sql).
-- (the repeated NIKs are grouped once and read twice)
-- dukcapil_key is the person's line in the Dukcapil file (unique: a staging check), not a number in the
-- staging table's physical order (which changes run to run): the same key in every build of a drop.
-- One statement (as prepare_records.sql): no numbered copy of the registry in a table first.
CREATE OR REPLACE TABLE {w}.dukcapil AS
WITH repeated AS MATERIALIZED (
    SELECT nik, min(line_number) AS first_line FROM staging.dukcapil_person GROUP BY nik HAVING count(*) > 1
), numbered AS (
    SELECT line_number AS dukcapil_key, nik, no_kk, nama, tgl_lahir, jenis_kelamin, hub_kk, kode_desa,
           coalesce(is_alive, true) AS is_alive
    FROM staging.dukcapil_person
    WHERE nik IS NOT NULL
      AND (nik NOT IN (SELECT nik FROM repeated)
           OR (nik, line_number) IN (SELECT (nik, first_line) FROM repeated))
)
SELECT
    d.dukcapil_key, d.nik, d.no_kk, d.nama,
    n.name_tokens, n.name_full, n.name_sorted, n.name_words, n.name_letters, n.name_initials, n.first_token, n.last_token,
    d.tgl_lahir, d.jenis_kelamin, d.hub_kk, d.kode_desa,
    left(d.kode_desa, 6) AS kode_kec, left(d.kode_desa, 4) AS kode_kab,
    d.is_alive
FROM numbered d
LEFT JOIN {w}.name_feature n ON n.nama = d.nama;
