-- unify.family_karantina: families too implausible to rank until a field check (one row per family,
-- the first reason that applies). A family card of 200 members, two heads of family on one card or a
-- member aged over {max_age} is a merged or corrupted card, not a poor family: it is published in
-- dtsen.family (nothing is hidden) but not scored; welfare.belum_terdata lists it with the reason.
--   anggota_terlalu_banyak  more than {max_members} active members
--   kepala_keluarga_ganda   more than one active member Dukcapil records as KEPALA KELUARGA
--   umur_tidak_wajar        an active member born after {as_of} or aged over {max_age}
CREATE OR REPLACE TABLE {karantina_table} AS
WITH members AS (
    SELECT family_id,
           count(*) AS jumlah_art,
           count(*) FILTER (WHERE hub_kk_dukcapil = 'kepala_keluarga') AS kepala_keluarga,
           count(*) FILTER (WHERE umur_now < 0 OR umur_now > {max_age}) AS umur_tidak_wajar
    FROM {w}.family_member
    GROUP BY family_id
)
SELECT
    family_id,
    CASE WHEN jumlah_art > {max_members} THEN 'anggota_terlalu_banyak'
         WHEN kepala_keluarga > 1 THEN 'kepala_keluarga_ganda'
         ELSE 'umur_tidak_wajar' END AS alasan,
    CASE WHEN jumlah_art > {max_members}
             THEN jumlah_art || ' anggota aktif dalam satu kartu keluarga (batas {max_members}): kemungkinan kartu gabungan.'
         WHEN kepala_keluarga > 1
             THEN kepala_keluarga || ' kepala keluarga menurut Dukcapil dalam satu kartu keluarga.'
         ELSE umur_tidak_wajar || ' anggota dengan umur tidak wajar (lahir setelah {as_of} atau lebih dari {max_age} tahun).'
    END AS keterangan,
    jumlah_art::INTEGER AS jumlah_art,
    kepala_keluarga::INTEGER AS kepala_keluarga,
    umur_tidak_wajar::INTEGER AS anggota_umur_tidak_wajar
FROM members
WHERE jumlah_art > {max_members} OR kepala_keluarga > 1 OR umur_tidak_wajar > 0
ORDER BY family_id;
