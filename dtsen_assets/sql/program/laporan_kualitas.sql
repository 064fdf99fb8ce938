-- Report: data quality per kabupaten/kota: families without a desil (belum terdata), source person records
-- rejected by unify, and source records staging found a problem on (kode_kab of the record's village).
WITH keluarga AS (
    SELECT f.kode_kab, count(*)::BIGINT AS keluarga, count(*) FILTER (WHERE d.family_id IS NULL)::BIGINT AS belum_terdata
    FROM {family} f LEFT JOIN {decile} d USING (family_id) GROUP BY ALL
), records AS (
    SELECT left(r.kode_desa, 4) AS kode_kab, count(*)::BIGINT AS record_sumber,
           count(*) FILTER (WHERE len(r.problems) > 0)::BIGINT AS record_bermasalah,
           count(*) FILTER (WHERE ps.person_id IS NULL)::BIGINT AS record_ditolak
    FROM {person_record} r
    LEFT JOIN {person_source} ps ON ps.source = r.source AND ps.source_record_id = r.source_record_id
    GROUP BY ALL
)
SELECT coalesce(k.kode_kab, r.kode_kab) AS kode_kab, k.keluarga, k.belum_terdata,
       round(100.0 * k.belum_terdata / nullif(k.keluarga, 0), 1) AS belum_terdata_persen,
       r.record_sumber, r.record_bermasalah, round(100.0 * r.record_bermasalah / nullif(r.record_sumber, 0), 1) AS bermasalah_persen,
       r.record_ditolak
FROM keluarga k FULL JOIN records r USING (kode_kab)
WHERE coalesce(k.kode_kab, r.kode_kab) IS NOT NULL
ORDER BY kode_kab
