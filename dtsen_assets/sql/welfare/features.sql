-- The one feature query: SUSENAS households and DTSEN families -> the same model variables.
-- <source_projection> selects, from the source table, `unit_id`, `kode_kab_raw`, `kode_desa`,
-- `bobot`, `pengeluaran_kapita` and every canonical welfare variable under its canonical name
-- (NULL where the source lacks the column); see dtsen_assets/welfare/features.py.
-- Rules here are structural only (questions that do not apply), never guesses:
--   * a head who does not work has lapangan_usaha / kedudukan_kerja 'tidak_bekerja';
--   * without a toilet facility, jenis_kloset / pembuangan_tinja are 'tanpa_fasilitas_bab';
--   * without a metered PLN connection, daya_listrik is 'tidak_ada' (the codebook's value).
WITH src AS (
    {source_projection}
), normalized AS (
    SELECT
        * EXCLUDE (kode_kab_raw, krt_lapangan_usaha, krt_kedudukan_kerja, jenis_kloset, pembuangan_tinja,
                   daya_listrik),
        CASE WHEN regexp_full_match(trim(coalesce(kode_kab_raw, left(kode_desa, 4))), '[0-9][0-9][0-9][0-9]')
             THEN trim(coalesce(kode_kab_raw, left(kode_desa, 4))) END AS kode_kab,
        CASE WHEN krt_lapangan_usaha IS NULL AND krt_status_bekerja = 'tidak_bekerja' THEN 'tidak_bekerja'
             ELSE krt_lapangan_usaha END AS krt_lapangan_usaha,
        CASE WHEN krt_kedudukan_kerja IS NULL AND krt_status_bekerja = 'tidak_bekerja' THEN 'tidak_bekerja'
             ELSE krt_kedudukan_kerja END AS krt_kedudukan_kerja,
        CASE WHEN jenis_kloset IS NULL AND fasilitas_bab = 'tidak_ada' THEN 'tanpa_fasilitas_bab'
             ELSE jenis_kloset END AS jenis_kloset,
        CASE WHEN pembuangan_tinja IS NULL AND fasilitas_bab = 'tidak_ada' THEN 'tanpa_fasilitas_bab'
             ELSE pembuangan_tinja END AS pembuangan_tinja,
        CASE WHEN daya_listrik IS NULL AND penerangan IS NOT NULL AND penerangan <> 'pln_meteran' THEN 'tidak_ada'
             ELSE daya_listrik END AS daya_listrik
    FROM src
)
SELECT
    unit_id,
    kode_desa,
    kode_kab,
    left(kode_kab, 2) AS kode_prov,
    bobot,
    pengeluaran_kapita,
    {variables},
    {known_counts}
FROM normalized
