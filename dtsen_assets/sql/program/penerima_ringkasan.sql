-- The recipient comparison in one row per {keys}: exclusion and inclusion errors of today's lists.
-- inclusion error: recipients who would leave (keluar_*) / all recipients;
-- exclusion error: layak families not receiving / (recipients staying layak + layak not receiving).
SELECT {keys},
       sum(keluarga) FILTER (WHERE kategori <> 'layak_belum_menerima')::BIGINT AS penerima,
       coalesce(sum(keluarga) FILTER (WHERE kategori = 'tetap_layak'), 0)::BIGINT AS tetap_layak,
       coalesce(sum(keluarga) FILTER (WHERE kategori = 'tetap_perlu_asesmen'), 0)::BIGINT AS tetap_perlu_asesmen,
       coalesce(sum(keluarga) FILTER (WHERE kategori = 'keluar_desil_tinggi'), 0)::BIGINT AS keluar_desil_tinggi,
       coalesce(sum(keluarga) FILTER (WHERE kategori = 'keluar_tanpa_komponen'), 0)::BIGINT AS keluar_tanpa_komponen,
       coalesce(sum(keluarga) FILTER (WHERE kategori = 'keluar_meninggal'), 0)::BIGINT AS keluar_meninggal,
       coalesce(sum(keluarga) FILTER (WHERE kategori = 'keluar_pindah'), 0)::BIGINT AS keluar_pindah,
       coalesce(sum(keluarga) FILTER (WHERE kategori = 'keluar_mampu'), 0)::BIGINT AS keluar_mampu,
       coalesce(sum(keluarga) FILTER (WHERE kategori IN ('keluar_tidak_ditemukan', 'keluar_tidak_memenuhi_aturan')), 0)::BIGINT AS keluar_lain,
       coalesce(sum(keluarga) FILTER (WHERE kategori = 'belum_terdata'), 0)::BIGINT AS belum_terdata,
       coalesce(sum(keluarga) FILTER (WHERE kategori = 'layak_belum_menerima'), 0)::BIGINT AS layak_belum_menerima,
       round(100.0 * coalesce(sum(keluarga) FILTER (WHERE kategori LIKE 'keluar_%'), 0)
             / nullif(sum(keluarga) FILTER (WHERE kategori <> 'layak_belum_menerima'), 0), 1) AS inclusion_error_pct,
       round(100.0 * coalesce(sum(keluarga) FILTER (WHERE kategori = 'layak_belum_menerima'), 0)
             / nullif(sum(keluarga) FILTER (WHERE kategori IN ('tetap_layak', 'layak_belum_menerima')), 0), 1) AS exclusion_error_pct
FROM {banding}
GROUP BY {keys}
ORDER BY {keys}
