-- Report: open village tasks per kabupaten/kota, kind and state, with the oldest open date.
SELECT kode_kab, jenis, status, count(*)::BIGINT AS tugas, count(DISTINCT kode_desa)::BIGINT AS desa, min(sejak) AS sejak_terlama
FROM {tugas}
WHERE terbuka
GROUP BY ALL ORDER BY kode_kab, jenis, status
