-- Report: candidates per kabupaten/kota, program and status (families, and persons for person programs).
SELECT left(f.kode_desa, 4) AS kode_kab, k.program, k.status,
       count(DISTINCT k.family_id)::BIGINT AS keluarga, count(k.person_id)::BIGINT AS orang
FROM {kandidat} k JOIN {family} f USING (family_id)
GROUP BY ALL ORDER BY kode_kab, k.program, k.status
