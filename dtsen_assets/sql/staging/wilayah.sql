-- Today's Kemendagri region codes (data/reference/wilayah.csv) without dots: province (2 digits),
-- kabupaten/kota (4), kecamatan (6), desa/kelurahan (10).
CREATE OR REPLACE TABLE {target} AS
SELECT replace(kode, '.', '') AS kode, kode AS kode_dotted, nama, tingkat
FROM read_csv(?, all_varchar = true, header = true);
