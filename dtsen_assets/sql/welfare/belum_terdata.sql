-- Families that cannot be scored, each with one reason (the first that applies), in a village
-- officer's words. <features> is the table of family features (features.sql over dtsen.family);
-- <min_core_housing> / <min_dwelling> the configured minimum counts of known variables.
SELECT
    f.unit_id AS family_id,
    f.kode_desa,
    CAST(f.jumlah_art AS INTEGER) AS jumlah_art,
    CASE
        WHEN f.jumlah_art IS NULL OR f.jumlah_art < 1 THEN 'tanpa_anggota_aktif'
        WHEN f.kode_kab IS NULL THEN 'wilayah_tidak_valid'
        WHEN f.core_housing_known < {min_core_housing} THEN 'data_perumahan_kurang'
        WHEN f.dwelling_known < {min_dwelling} THEN 'data_kesejahteraan_kurang'
    END AS alasan,
    CASE
        WHEN f.jumlah_art IS NULL OR f.jumlah_art < 1
            THEN 'Tidak ada anggota keluarga yang aktif (semua meninggal, pindah atau dikeluarkan).'
        WHEN f.kode_kab IS NULL
            THEN 'Kode wilayah (kabupaten/kota) keluarga tidak diketahui atau tidak valid.'
        WHEN f.core_housing_known < {min_core_housing}
            THEN 'Hanya ' || f.core_housing_known || ' dari {core_housing_total} keterangan pokok rumah '
                 || '(status, lantai, dinding, atap, air minum, penerangan, bahan bakar, BAB) yang terdata; '
                 || 'minimal {min_core_housing}.'
        WHEN f.dwelling_known < {min_dwelling}
            THEN 'Hanya ' || f.dwelling_known || ' dari {dwelling_total} keterangan rumah, aset, lahan dan ternak '
                 || 'yang terdata; minimal {min_dwelling}.'
    END AS keterangan,
    f.core_housing_known AS keterangan_rumah_pokok_terdata,
    f.dwelling_known AS keterangan_kesejahteraan_terdata
FROM {features} AS f
WHERE f.jumlah_art IS NULL OR f.jumlah_art < 1
   OR f.kode_kab IS NULL
   OR f.core_housing_known < {min_core_housing}
   OR f.dwelling_known < {min_dwelling}
