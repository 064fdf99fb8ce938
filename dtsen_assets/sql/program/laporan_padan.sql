-- Report: active persons and the share matched to a living Dukcapil record (PADAN), per kabupaten/kota.
SELECT left(kode_desa, 4) AS kode_kab, count(*)::BIGINT AS orang_aktif,
       count(*) FILTER (WHERE status_padan = 'PADAN')::BIGINT AS padan,
       round(100.0 * count(*) FILTER (WHERE status_padan = 'PADAN') / count(*), 1) AS padan_persen
FROM {person}
WHERE is_active
GROUP BY ALL ORDER BY kode_kab
