-- Population-weighted national desil. <scores>: family_id, pengeluaran_kapita_pmt;
-- <families>: family_id, jumlah_art (active members = persons the family stands for).
-- Families are ranked by predicted per-capita consumption. A family's persentil is the share of
-- persons in families ranked strictly below it plus half of its own members (families with exactly
-- the same prediction form one group and share a persentil), so persentil is in (0, 100].
-- desil d holds persentil in (10(d-1), 10d]: a family straddling a cut point cannot be split and
-- goes to the desil holding the middle of its members, so each desil misses exactly 10% of persons
-- by at most half of the largest family (group) at each of its two cut points.
WITH scored AS (
    SELECT s.family_id, s.pengeluaran_kapita_pmt AS nilai, CAST(f.jumlah_art AS DOUBLE) AS jiwa
    FROM {scores} AS s
    JOIN {families} AS f USING (family_id)
), grouped AS (
    SELECT nilai, sum(jiwa) AS jiwa FROM scored GROUP BY nilai
), ranked AS (
    SELECT nilai, jiwa,
           sum(jiwa) OVER (ORDER BY nilai ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - jiwa AS jiwa_sebelum
    FROM grouped
), total AS (
    SELECT sum(jiwa) AS jiwa_total FROM grouped
)
SELECT
    scored.family_id,
    CAST(least(10, greatest(1, ceil(100.0 * (ranked.jiwa_sebelum + ranked.jiwa / 2.0) / total.jiwa_total / 10.0)))
         AS INTEGER) AS desil,
    100.0 * (ranked.jiwa_sebelum + ranked.jiwa / 2.0) / total.jiwa_total AS persentil
FROM scored
JOIN ranked USING (nilai)
CROSS JOIN total
ORDER BY family_id
