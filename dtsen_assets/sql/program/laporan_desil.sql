-- Report: active persons and families per desil in every kabupaten/kota (where the family lives).
SELECT f.kode_kab, d.desil, sum(f.jumlah_art)::BIGINT AS orang, count(*)::BIGINT AS keluarga
FROM {family} f JOIN {decile} d USING (family_id)
GROUP BY ALL ORDER BY f.kode_kab, d.desil
