-- final.perubahan for semester {semester} against {previous} (dtsen_assets/change_log.py has the rules).
-- Reads the current snapshots of final.person / final.family / final.decile of both semesters
-- ({person}, {family}, {decile}: change_log.py copies them), {history} (retired id ->
-- id in use) and {decisions} (village decisions: nik, no_kk, aksi, tgl_musdes). One row per
-- person and change; {previous_start} is the first day of the previous semester.
--
-- A person of the previous semester is followed under the id it has now (a retired id maps to the
-- kept one), so a person whose id was retired is one person, not one leaving and one entering.
-- Of several earlier ids now one person, the kept id (else the smallest active) continues; the
-- others, if active then, leave as 'duplikat'.
CREATE OR REPLACE TEMP TABLE perubahan_prev AS
SELECT p.*, coalesce(h.person_id, p.person_id) AS pid,
       d.desil, f.kode_kab AS family_kode_kab, f.jumlah_art
FROM {person} p
LEFT JOIN {history} h ON h.retired_id = p.person_id
LEFT JOIN {family} f ON f.semester = p.semester AND f.family_id = p.family_id
LEFT JOIN {decile} d ON d.semester = p.semester AND d.family_id = p.family_id
WHERE p.semester = '{previous}';

CREATE OR REPLACE TEMP TABLE perubahan_cur AS
SELECT p.*, d.desil, f.kode_kab AS family_kode_kab, f.jumlah_art
FROM {person} p
LEFT JOIN {family} f ON f.semester = p.semester AND f.family_id = p.family_id
LEFT JOIN {decile} d ON d.semester = p.semester AND d.family_id = p.family_id
WHERE p.semester = '{semester}';

-- the previous row that speaks for each person (pid); the other active ones are duplicates
CREATE OR REPLACE TEMP TABLE perubahan_prev_rank AS
SELECT *, row_number() OVER (PARTITION BY pid ORDER BY is_active DESC, (person_id = pid) DESC, person_id) AS rank_in_pid
FROM perubahan_prev;

-- decisions of village meetings since the previous semester began, the latest first
CREATE OR REPLACE TEMP TABLE perubahan_decision AS
SELECT nik, no_kk, aksi, tgl_musdes
FROM {decisions}
WHERE aksi IN ('meninggal', 'pindah', 'mampu', 'usulan_baru')
  AND (tgl_musdes IS NULL OR tgl_musdes >= DATE '{previous_start}');

-- the decision that says why a person left: its own (MENINGGAL, PINDAH, MAMPU) or its card's
-- (MAMPU), the latest first, the person's own before its card's
CREATE OR REPLACE TEMP TABLE perubahan_keluar_decision AS
SELECT person_id, aksi
FROM (
    SELECT p.person_id, d.aksi, d.tgl_musdes, 1 AS own
    FROM perubahan_prev p JOIN perubahan_decision d ON d.nik = p.nik
    WHERE d.aksi IN ('meninggal', 'pindah', 'mampu')
    UNION ALL
    SELECT p.person_id, d.aksi, d.tgl_musdes, 0 AS own
    FROM perubahan_prev p JOIN perubahan_decision d ON d.no_kk = p.no_kk
    WHERE d.aksi = 'mampu'
)
QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY tgl_musdes DESC NULLS LAST, own DESC, aksi) = 1;

-- a family's successor: the current family holding most of its members that are active in both
CREATE OR REPLACE TEMP TABLE perubahan_successor AS
SELECT p.family_id AS previous_family_id, c.family_id AS family_id
FROM perubahan_prev_rank p
JOIN perubahan_cur c ON c.person_id = p.pid
WHERE p.rank_in_pid = 1 AND p.is_active AND c.is_active AND p.family_id IS NOT NULL AND c.family_id IS NOT NULL
GROUP BY p.family_id, c.family_id
QUALIFY row_number() OVER (PARTITION BY p.family_id
                           ORDER BY count(*) DESC, (c.family_id = p.family_id) DESC, c.family_id) = 1;

CREATE OR REPLACE TEMP TABLE perubahan_new AS
-- keluar: active then, not active (or not there) now
SELECT p.pid AS person_id, p.family_id, coalesce(p.family_kode_kab, left(p.kode_desa, 4)) AS kode_kab,
       'keluar' AS jenis,
       CASE
           WHEN c.person_id IS NOT NULL AND c.inactive_reason LIKE 'meninggal%' THEN 'meninggal'
           WHEN c.person_id IS NOT NULL AND NOT c.is_active THEN coalesce(c.inactive_reason, 'tidak_aktif')
           ELSE coalesce(k.aksi, 'tidak_terdata')
       END AS alasan,
       p.desil AS desil_lama, c.desil AS desil_baru
FROM perubahan_prev_rank p
LEFT JOIN perubahan_cur c ON c.person_id = p.pid
LEFT JOIN perubahan_keluar_decision k ON k.person_id = p.person_id
WHERE p.rank_in_pid = 1 AND p.is_active AND NOT coalesce(c.is_active, false)
UNION ALL
-- keluar as a duplicate: an earlier id, active then, of a person another id now stands for
SELECT p.person_id, p.family_id, coalesce(p.family_kode_kab, left(p.kode_desa, 4)), 'keluar', 'duplikat',
       p.desil, NULL
FROM perubahan_prev_rank p
WHERE p.rank_in_pid > 1 AND p.is_active
UNION ALL
-- masuk: active now, not active (or not there) then
SELECT c.person_id, c.family_id, coalesce(c.family_kode_kab, left(c.kode_desa, 4)), 'masuk',
       CASE
           WHEN c.tgl_lahir >= DATE '{previous_start}' THEN 'lahir'
           WHEN p.pid IS NOT NULL THEN 'aktif_kembali'
           WHEN c.nik IN (SELECT nik FROM perubahan_decision WHERE aksi = 'usulan_baru')
             OR c.no_kk IN (SELECT no_kk FROM perubahan_decision WHERE aksi = 'usulan_baru') THEN 'usulan'
           ELSE 'baru_terdata'
       END,
       p.desil, c.desil
FROM perubahan_cur c
LEFT JOIN perubahan_prev_rank p ON p.pid = c.person_id AND p.rank_in_pid = 1
WHERE c.is_active AND NOT coalesce(p.is_active, false)
UNION ALL
-- pindah_keluarga, desil_naik, desil_turun: active then and now
SELECT c.person_id, c.family_id, coalesce(c.family_kode_kab, left(c.kode_desa, 4)),
       CASE WHEN p.family_id IS NOT NULL AND c.family_id IS DISTINCT FROM s.family_id THEN 'pindah_keluarga'
            WHEN c.desil > p.desil THEN 'desil_naik' ELSE 'desil_turun' END,
       CASE WHEN p.family_id IS NOT NULL AND c.family_id IS DISTINCT FROM s.family_id THEN
                 CASE WHEN c.family_id IN (SELECT family_id FROM perubahan_successor) THEN 'gabung_keluarga'
                      ELSE 'keluarga_baru' END
            WHEN c.jumlah_art IS DISTINCT FROM p.jumlah_art THEN 'jumlah_art_berubah'
            WHEN ({family_changed}) THEN 'data_keluarga_berubah'
            ELSE 'peringkat_bergeser' END,
       p.desil, c.desil
FROM perubahan_prev_rank p
JOIN perubahan_cur c ON c.person_id = p.pid
LEFT JOIN perubahan_successor s ON s.previous_family_id = p.family_id
LEFT JOIN {family} pf ON pf.semester = '{previous}' AND pf.family_id = p.family_id
LEFT JOIN {family} cf ON cf.semester = '{semester}' AND cf.family_id = c.family_id
WHERE p.rank_in_pid = 1 AND p.is_active AND c.is_active
  AND ((p.family_id IS NOT NULL AND c.family_id IS DISTINCT FROM s.family_id) OR c.desil <> p.desil);

DELETE FROM final.perubahan WHERE semester = '{semester}' AND snapshot = {snapshot};

INSERT INTO final.perubahan BY NAME
SELECT '{semester}' AS semester, {snapshot} AS snapshot, '{previous}' AS semester_sebelumnya, person_id,
       family_id, kode_kab, jenis, alasan, desil_lama, desil_baru
FROM perubahan_new
ORDER BY kode_kab, jenis, person_id;

DROP TABLE perubahan_prev;
DROP TABLE {person};
DROP TABLE {family};
DROP TABLE {decile};
DROP TABLE perubahan_cur;
DROP TABLE perubahan_prev_rank;
DROP TABLE perubahan_decision;
DROP TABLE perubahan_keluar_decision;
DROP TABLE perubahan_successor;
DROP TABLE perubahan_new;
