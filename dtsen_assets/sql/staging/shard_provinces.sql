-- The province of every raw row, for cutting staging into province shards (staging/shards.py): temp tables
-- staging_shard_village_code (each raw village code's province: {province} over the code cleaned as
-- family_record and dukcapil_person clean it, NO_REGION '{no_region}' when it has none), staging_shard_family
-- (each source family's province) and staging_shard_village (person records by province, what pack() reads).
CREATE OR REPLACE TEMP TABLE staging_shard_village_code AS
SELECT kode_desa_raw, {province} AS prov
FROM (SELECT KODE_WILAYAH AS kode_desa_raw FROM raw.dtks_keluarga
      UNION SELECT KODE_DESA FROM raw.p3ke_keluarga
      UNION SELECT KODE_DESA FROM raw.regsosek_keluarga
      UNION SELECT KODE_DESA FROM raw.dukcapil_penduduk);

-- A family id listed in two provinces (the family_record check refuses it) has both: its persons go to
-- both shards, and each joins them to its row of the family, as the national build joins them to both rows.
CREATE OR REPLACE TEMP TABLE staging_shard_family AS
SELECT DISTINCT f.source, f.source_family_id, v.prov
FROM (SELECT 'dtks' AS source, ID_KELUARGA AS source_family_id, KODE_WILAYAH AS kode_desa_raw FROM raw.dtks_keluarga
      UNION ALL SELECT 'p3ke', ID_KELUARGA_P3KE, KODE_DESA FROM raw.p3ke_keluarga
      UNION ALL SELECT 'regsosek', ID_KELUARGA, KODE_DESA FROM raw.regsosek_keluarga) AS f
JOIN staging_shard_village_code AS v ON v.kode_desa_raw IS NOT DISTINCT FROM f.kode_desa_raw;

-- The rows a shard cleans, by province: a person record in its family's province (none when its family is
-- not in the drop), a Dukcapil person in its village's. Dukcapil counts too: it covers every province,
-- also those the sources of a drop do not, and is a third of the rows.
-- pack() reads provinces off a kode_desa column: the province padded to a village code.
CREATE OR REPLACE TEMP TABLE staging_shard_village AS
SELECT CASE WHEN prov = '{no_region}' THEN NULL ELSE prov || '00000000' END AS kode_desa, count(*) AS records
FROM (SELECT coalesce(f.prov, '{no_region}') AS prov
      FROM (SELECT 'dtks' AS source, ID_KELUARGA AS source_family_id FROM raw.dtks_art
            UNION ALL SELECT 'p3ke', ID_KELUARGA_P3KE FROM raw.p3ke_individu
            UNION ALL SELECT 'regsosek', ID_KELUARGA FROM raw.regsosek_individu) AS p
      LEFT JOIN staging_shard_family AS f USING (source, source_family_id)
      UNION ALL
      SELECT v.prov FROM raw.dukcapil_penduduk AS d
      JOIN staging_shard_village_code AS v ON v.kode_desa_raw IS NOT DISTINCT FROM d.KODE_DESA)
GROUP BY ALL;
