-- Blocking of the candidate search: which Dukcapil persons a searched record is compared with.
-- Every primary rule is an equality join on a key whose blocks do not grow with the population (a
-- district, a village, a family card, a birth date within a regency, a birth date with the whole
-- name), so the comparisons per record stay about constant as drops grow. A pair found by several
-- rules is kept once, with the first rule that found it.
-- Primary rules, for every searched record:
--   1 the NIK as written                       2 the NIK a village meeting gave instead (verivali)
--   5 the card the family was confirmed on      7 birth date within the regency
--   8 birth date and the whole (order-free) name, nationally: a person who moved regency or
--     province under another NIK, or none
-- Fallback rules, only for records the primary rules found no plausible candidate for
-- (plausible: the birth dates agree or one is unknown, and a first or last name part agrees):
--   3 first 8 NIK digits                        4 province + last 8 NIK digits
--   6 the card the source shows                 9 village and first name token
--  10 village and last name token              11 regency and the whole (order-free) name
--  12/13 village, sex and a birth year the age allows (records without any date)
--  14 birth date and first name token, nationally (a mover whose name is spelt otherwise). Its
--     blocks grow with the population (a common first name on one date: about 6 Dukcapil persons
--     per searched record at 10M persons, hundreds nationally), so it is not asked of every record:
--     as a primary rule it made 80,702 of 800,146 candidate pairs at 1M for 0.15% of the matches.
CREATE OR REPLACE TABLE {w}.search_candidate_primary AS
WITH r AS (SELECT * FROM {w}.search_record), d AS (SELECT * FROM {w}.search_dukcapil),
pairs AS (
    SELECT r.unique_id AS record_key, d.unique_id AS dukcapil_key, 1 AS rule FROM r JOIN d ON r.nik_digits = d.nik_digits
    UNION ALL SELECT r.unique_id, d.unique_id, 2 FROM r JOIN d ON r.nik_claimed = d.nik_claimed
    UNION ALL SELECT r.unique_id, d.unique_id, 5 FROM r JOIN d ON r.kk_context = d.kk_context
    UNION ALL SELECT r.unique_id, d.unique_id, 7 FROM r JOIN d ON r.tgl_lahir_eff = d.tgl_lahir_eff AND r.kode_kab = d.kode_kab
    UNION ALL SELECT r.unique_id, d.unique_id, 8 FROM r JOIN d ON r.tgl_lahir_eff = d.tgl_lahir_eff AND r.name_sorted = d.name_sorted
)
SELECT record_key, dukcapil_key, min(rule) AS rule FROM pairs GROUP BY record_key, dukcapil_key;

CREATE OR REPLACE TABLE {w}.search_fallback_record AS
SELECT * FROM {w}.search_record
WHERE unique_id NOT IN (
    SELECT p.record_key
    FROM {w}.search_candidate_primary p
    JOIN {w}.search_record r ON r.unique_id = p.record_key
    JOIN {w}.search_dukcapil d ON d.unique_id = p.dukcapil_key
    WHERE r.nik_digits = d.nik_digits
       OR ((r.tgl_lahir_eff IS NULL OR r.tgl_lahir_eff = d.tgl_lahir_eff)
           AND (r.first_token IS NULL OR r.first_token IN (d.first_token, d.last_token)
                OR r.last_token IN (d.first_token, d.last_token))));

-- A record the primary rules found something plausible for keeps its primary pairs as they are
-- (already one row per pair); only a fallback record's pairs, primary and fallback, are made one
-- row per pair (grouping every primary pair again took a third of this file at 10M persons).
CREATE OR REPLACE TABLE {w}.search_candidate AS
WITH r AS (SELECT * FROM {w}.search_fallback_record), d AS (SELECT * FROM {w}.search_dukcapil),
pairs AS (
    SELECT record_key, dukcapil_key, rule FROM {w}.search_candidate_primary
    WHERE record_key IN (SELECT unique_id FROM {w}.search_fallback_record)
    UNION ALL SELECT r.unique_id, d.unique_id, 3 FROM r JOIN d ON r.nik_k1 = d.nik_k1
    UNION ALL SELECT r.unique_id, d.unique_id, 4 FROM r JOIN d ON r.nik_k2 = d.nik_k2
    UNION ALL SELECT r.unique_id, d.unique_id, 6 FROM r JOIN d ON r.kk_source = d.kk_source
    UNION ALL SELECT r.unique_id, d.unique_id, 9 FROM r JOIN d ON r.kode_desa = d.kode_desa AND r.first_token = d.first_token
    UNION ALL SELECT r.unique_id, d.unique_id, 10 FROM r JOIN d ON r.kode_desa = d.kode_desa AND r.last_token = d.last_token
    UNION ALL SELECT r.unique_id, d.unique_id, 11 FROM r JOIN d ON r.kode_kab = d.kode_kab AND r.name_sorted = d.name_sorted
    UNION ALL SELECT r.unique_id, d.unique_id, 12 FROM r JOIN d
        ON r.kode_desa = d.kode_desa AND r.age_year_a = d.age_year_a AND r.jenis_kelamin = d.jenis_kelamin
    UNION ALL SELECT r.unique_id, d.unique_id, 13 FROM r JOIN d
        ON r.kode_desa = d.kode_desa AND r.age_year_b = d.age_year_b AND r.jenis_kelamin = d.jenis_kelamin
    UNION ALL SELECT r.unique_id, d.unique_id, 14 FROM r JOIN d ON r.tgl_lahir_eff = d.tgl_lahir_eff AND r.first_token = d.first_token
)
SELECT record_key, dukcapil_key, rule FROM {w}.search_candidate_primary
WHERE record_key NOT IN (SELECT unique_id FROM {w}.search_fallback_record)
UNION ALL
SELECT record_key, dukcapil_key, min(rule) AS rule FROM pairs GROUP BY record_key, dukcapil_key;

DROP TABLE {w}.search_candidate_primary;
