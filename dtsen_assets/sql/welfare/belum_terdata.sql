-- Families that cannot be scored, each with one reason (the first that applies), in a village
-- officer's words. <features>: the table of family features (features.sql over dtsen.family);
-- <data_model>: the CASE choosing each family's data tier (NULL: not enough recorded);
-- <core_total> / <core_needed>: the core housing variables and how many must be known;
-- <karantina>: the families quarantined as implausible (unify.family_karantina: family_id, keterangan).
SELECT
    f.unit_id AS family_id,
    f.kode_desa,
    CAST(f.jumlah_art AS INTEGER) AS jumlah_art,
    CASE
        WHEN f.jumlah_art IS NULL OR f.jumlah_art < 1 THEN 'tanpa_anggota_aktif'
        WHEN k.family_id IS NOT NULL THEN 'keluarga_dikarantina'
        WHEN f.kode_kab IS NULL THEN 'wilayah_tidak_valid'
        ELSE 'data_rumah_kurang'
    END AS alasan,
    CASE
        WHEN f.jumlah_art IS NULL OR f.jumlah_art < 1
            THEN 'Tidak ada anggota keluarga yang aktif (semua meninggal, pindah atau dikeluarkan).'
        WHEN k.family_id IS NOT NULL
            THEN 'Keluarga tidak wajar, dikarantina sampai diperiksa di lapangan: ' || k.keterangan
        WHEN f.kode_kab IS NULL
            THEN 'Kode wilayah (kabupaten/kota) keluarga tidak diketahui atau tidak valid.'
        ELSE 'Hanya ' || f.known_rumah_pokok || ' dari {core_total} keterangan pokok rumah (status, lantai, dinding, '
             || 'atap, air minum, penerangan, bahan bakar, fasilitas BAB) yang terdata; minimal {core_needed}. '
             || 'Lengkapi saat verifikasi dan validasi.'
    END AS keterangan,
    f.known_rumah_pokok AS keterangan_rumah_pokok_terdata,
    f.known_lengkap AS keterangan_rumah_aset_terdata
FROM {features} AS f
LEFT JOIN ({karantina}) AS k ON k.family_id = f.unit_id
WHERE f.jumlah_art IS NULL OR f.jumlah_art < 1
   OR k.family_id IS NOT NULL
   OR f.kode_kab IS NULL
   OR ({data_model}) IS NULL
