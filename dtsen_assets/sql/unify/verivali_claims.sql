-- Village-meeting decisions (staging.verivali_decision) and the source record each is about.
-- A decision names a registry member by the NIK, family card and name the registry shows
-- (possibly wrong: that is why PERBAIKAN_NIK exists). It is about the record that
--   * is on the same family card (source NO_KK) and whose name agrees at least 0.85, or
--   * carries the same cleaned NIK and whose name agrees at least 0.80;
-- the best name agreement wins, then DTKS (village meetings verify DTKS), then the smaller id.
-- {w}.nik_claim: for PERBAIKAN_NIK, the NIK_BARU proposed for the record. It is only a claim:
-- the candidate search scores it like any other candidate (search_candidates.sql, rule 2).
CREATE OR REPLACE TABLE {w}.verivali AS
SELECT
    row_number() OVER (ORDER BY source_file, line_number) AS decision_key,
    source_file, line_number, no_ba, kode_desa, tgl_musdes, nik, no_kk, lower(aksi) AS aksi, nik_baru, nama
FROM staging.verivali_decision;

CREATE OR REPLACE TABLE {w}.verivali_named AS
SELECT v.*, n.name_full, n.name_sorted, n.name_words, n.name_letters, n.name_initials
FROM {w}.verivali v
LEFT JOIN {w}.name_feature n ON n.nama = v.nama;

CREATE OR REPLACE TABLE {w}.verivali_record AS
WITH linked AS (
    SELECT v.decision_key, r.record_key, true AS same_card, v.nik = r.nik AS same_nik
    FROM {w}.verivali_named v JOIN {w}.record r ON v.no_kk = r.no_kk
    WHERE v.aksi <> 'usulan_baru'
    UNION ALL
    SELECT v.decision_key, r.record_key, false, true
    FROM {w}.verivali_named v JOIN {w}.record r ON v.nik = r.nik
    WHERE v.aksi <> 'usulan_baru' AND v.no_kk IS DISTINCT FROM r.no_kk
), candidate AS (
    SELECT l.decision_key, l.record_key, r.source, r.source_record_id, l.same_card, l.same_nik,
           unify_name_score(v.name_full, v.name_sorted, v.name_words, v.name_letters, v.name_initials,
                            r.name_full, r.name_sorted, r.name_words, r.name_letters, r.name_initials) AS name_score
    FROM linked l
    JOIN {w}.verivali_named v USING (decision_key)
    JOIN {w}.record r USING (record_key)
)
SELECT decision_key, record_key, name_score
FROM candidate
WHERE (same_card AND name_score >= 0.85) OR (same_nik AND name_score >= 0.80)
QUALIFY row_number() OVER (PARTITION BY decision_key
                           ORDER BY name_score DESC, source = 'dtks' DESC, source, source_record_id) = 1;

CREATE OR REPLACE TABLE {w}.nik_claim AS
SELECT vr.record_key, min(v.nik_baru) AS nik_claimed
FROM {w}.verivali_record vr
JOIN {w}.verivali v USING (decision_key)
WHERE v.aksi = 'perbaikan_nik' AND v.nik_baru IS NOT NULL
GROUP BY vr.record_key;
