-- The cross-province residue of a sharded unify (unify/shards.py, export): a record that no NIK
-- confirms (none written, one Dukcapil does not know, or one whose Dukcapil person has another birth
-- date) is found in a national run by its birth date and name, wherever its Dukcapil person lives
-- today (search_candidates.sql, rules 6-8). A shard holds only its own provinces' Dukcapil, so each
-- shard is also sent the Dukcapil cards, living elsewhere, of persons whose birth date and whole name
-- (order-free, spelling variants made one: name_macros.sql) agree with such a record of the shard,
-- and the cards its records show (rule 6). The shard then links the record as the national run
-- does; a person built in two shards is one in the merge (the shard with most of its records).
-- Exact keys keep this a few cards per thousand records: a mover whose name the source misspelt
-- (found nationally by birth date and first name alone) stays unlinked (docs/scale.md).
-- Needs the temp tables shard_of_province and shard_extra_kk and the name macros.
CREATE OR REPLACE TEMP TABLE shard_residue AS
SELECT m.shard, r.nama, r.tgl_lahir, r.no_kk
FROM staging.person_record AS r
JOIN shard_of_province AS m ON m.prov = {record_province}
WHERE NOT EXISTS (SELECT 1 FROM staging.dukcapil_person AS d
                  WHERE d.nik = r.nik AND (r.tgl_lahir IS NULL OR d.tgl_lahir = r.tgl_lahir));

-- The order-free name key of every distinct name of the residue and of Dukcapil: unify's name_sorted
-- (name_macros.sql: the same tokens and spelling variants) without its title and degree rules, which
-- staging's nama has already applied (on the 503,311 names of a 1M drop: 7 keys differ, 0.7 s against 3.4 s).
CREATE OR REPLACE TEMP MACRO shard_name_key(nama) AS
    nullif(array_to_string(list_sort(list_filter(
        list_transform(unify_raw_tokens(nama), lambda t: unify_name_variant(regexp_replace(t, '[^A-Z]', '', 'g'))),
        lambda t: t <> '')), ' '), '');

CREATE OR REPLACE TEMP TABLE shard_residue_name AS
SELECT nama, shard_name_key(nama) AS name_sorted
FROM (SELECT nama FROM shard_residue WHERE nama IS NOT NULL AND tgl_lahir IS NOT NULL
      UNION SELECT nama FROM staging.dukcapil_person WHERE nama IS NOT NULL AND tgl_lahir IS NOT NULL);

INSERT INTO shard_extra_kk
SELECT no_kk, shard FROM (
    SELECT d.no_kk, r.shard, h.shard AS home
    FROM shard_residue AS r
    JOIN shard_residue_name AS rn ON rn.nama = r.nama
    JOIN staging.dukcapil_person AS d ON d.tgl_lahir = r.tgl_lahir
    JOIN shard_residue_name AS dn ON dn.nama = d.nama AND dn.name_sorted = rn.name_sorted
    LEFT JOIN shard_of_province AS h ON h.prov = {dukcapil_province}
    UNION ALL
    SELECT d.no_kk, r.shard, h.shard
    FROM shard_residue AS r
    JOIN staging.dukcapil_person AS d ON d.no_kk = r.no_kk
    LEFT JOIN shard_of_province AS h ON h.prov = {dukcapil_province}
)
WHERE home IS DISTINCT FROM shard AND no_kk IS NOT NULL
EXCEPT SELECT no_kk, shard FROM shard_extra_kk;

DROP TABLE shard_residue;
DROP TABLE shard_residue_name;
