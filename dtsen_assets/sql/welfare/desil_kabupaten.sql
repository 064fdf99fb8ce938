-- Kabupaten/kota x desil: the table Dinas Sosial publish. Every regency with a scored family gets
-- all ten desil rows (zero where none). Desil are national: a regency's shares show how its
-- people are spread over the national desil. Regency names from <wilayah> (staging.wilayah).
WITH joined AS (
    SELECT left(f.kode_desa, 4) AS kode_kab, d.desil, CAST(f.jumlah_art AS BIGINT) AS jiwa
    FROM {decile} AS d
    JOIN {families} AS f USING (family_id)
), counts AS (
    SELECT kode_kab, desil, count(*) AS jumlah_keluarga, CAST(sum(jiwa) AS BIGINT) AS jumlah_jiwa
    FROM joined GROUP BY kode_kab, desil
), grid AS (
    SELECT k.kode_kab, d.desil
    FROM (SELECT DISTINCT kode_kab FROM joined) AS k
    CROSS JOIN range(1, 11) AS d(desil)
)
SELECT
    grid.kode_kab,
    left(grid.kode_kab, 2) AS kode_prov,
    r.nama AS nama_kabupaten,
    CAST(grid.desil AS INTEGER) AS desil,
    coalesce(c.jumlah_keluarga, 0) AS jumlah_keluarga,
    coalesce(c.jumlah_jiwa, 0) AS jumlah_jiwa,
    100.0 * coalesce(c.jumlah_jiwa, 0) / sum(coalesce(c.jumlah_jiwa, 0)) OVER (PARTITION BY grid.kode_kab)
        AS persen_jiwa_kabupaten
FROM grid
LEFT JOIN counts AS c ON c.kode_kab = grid.kode_kab AND c.desil = grid.desil
LEFT JOIN {wilayah} AS r ON r.kode = grid.kode_kab AND r.tingkat = 'kabupaten_kota'
ORDER BY grid.kode_kab, grid.desil
