-- final.perubahan_ringkasan: the change log counted per semester, kabupaten/kota, desil, jenis and
-- alasan (persons). desil is the person's family desil now (masuk, desil_naik/turun,
-- pindah_keluarga), else then (keluar); NULL for a family without a desil.
CREATE OR REPLACE VIEW final.perubahan_ringkasan AS
SELECT semester, semester_sebelumnya, kode_kab,
       CASE WHEN jenis = 'keluar' THEN desil_lama ELSE desil_baru END AS desil,
       jenis, alasan, count(*)::BIGINT AS jiwa
FROM final.perubahan
GROUP BY ALL;
