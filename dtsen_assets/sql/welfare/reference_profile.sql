-- "A typical family of its regency": for every kabupaten/kota, the most common known value of each
-- categorical variable (ties: the alphabetically first) and the median known value of each numeric
-- variable, over the regency's scored families. <families>: the scored families' features.
WITH families AS (
    {families}
), categorical AS (
    UNPIVOT (SELECT kode_kab, {categorical} FROM families)
    ON {categorical} INTO NAME variabel VALUE nilai
), categorical_mode AS (
    SELECT kode_kab, variabel, nilai
    FROM (SELECT kode_kab, variabel, nilai, count(*) AS n FROM categorical GROUP BY ALL)
    QUALIFY row_number() OVER (PARTITION BY kode_kab, variabel ORDER BY n DESC, nilai) = 1
), numeric AS (
    UNPIVOT (SELECT kode_kab, {numeric} FROM families)
    ON {numeric} INTO NAME variabel VALUE nilai
), numeric_median AS (
    SELECT kode_kab, variabel, CAST(quantile_disc(nilai, 0.5) AS VARCHAR) AS nilai
    FROM numeric GROUP BY ALL
)
SELECT kode_kab, variabel, nilai FROM categorical_mode
UNION ALL
SELECT kode_kab, variabel, nilai FROM numeric_median
ORDER BY kode_kab, variabel
