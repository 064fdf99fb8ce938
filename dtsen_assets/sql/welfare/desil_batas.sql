-- National cut points: per desil the range of predicted per-capita consumption (Rupiah per person
-- per month), the persons (active members) and families it holds and its share of persons.
-- <decile>: family_id, desil; <scores>: family_id, pengeluaran_kapita_pmt; <families>: family_id, jumlah_art.
WITH joined AS (
    SELECT d.desil, s.pengeluaran_kapita_pmt AS nilai, CAST(f.jumlah_art AS DOUBLE) AS jiwa
    FROM {decile} AS d
    JOIN {scores} AS s USING (family_id)
    JOIN {families} AS f USING (family_id)
)
SELECT
    desil,
    min(nilai) AS pengeluaran_kapita_pmt_min,
    max(nilai) AS pengeluaran_kapita_pmt_maks,
    CAST(sum(jiwa) AS BIGINT) AS jumlah_jiwa,
    count(*) AS jumlah_keluarga,
    100.0 * sum(jiwa) / sum(sum(jiwa)) OVER () AS persen_jiwa
FROM joined
GROUP BY desil
ORDER BY desil
