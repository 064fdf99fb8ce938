-- The provinces and kabupaten/kota of {wilayah} (the staging/wilayah asset: today's Kemendagri codes
-- without dots): the region names and codes welfare shows, and which regencies are a kota.
SELECT kode, nama, tingkat
FROM {wilayah}
WHERE tingkat IN ('provinsi', 'kabupaten_kota')
ORDER BY kode
