-- person_id of every person of this build, kept stable across drops (dtsen_assets/unify/ids.py).
--
-- natural id: 'P' (anchor nik:<NIK>) or 'R' (anchor rec:<source>:<record id>) + the first 16 hex
-- digits of sha256(<secret key> || '|' || <anchor>); the key is the session variable
-- dtsen_id_key (never in this text). Reads the previous release: {previous_person} (its ids),
-- {previous_source} (which person each record was), {previous_history} (retired ids).
-- Each person takes, in this order:
--   1/2. the id its natural id was retired into (history), or its natural id when the previous
--        release had it; two claims on one id: the natural owner, then more records, wins;
--   3.   else the previous id most of its records had, if nobody claimed it (ties: more records,
--        then the smaller natural id); its natural id is then retired into the kept id;
--   4.   else its natural id.
-- A previous id nobody kept is retired into the person holding most of its records ('digabung').
-- {history_table}: every retired id -> the id in use, flattened (no chains), with the reason.
CREATE OR REPLACE TABLE {w}.person_natural AS
SELECT person_anchor,
       CASE WHEN person_anchor LIKE 'nik:%' THEN 'P' ELSE 'R' END
           || upper(left(sha256(getvariable('dtsen_id_key') || '|' || person_anchor), 16)) AS natural_id,
       count(*) AS records
FROM {w}.record_match
WHERE person_anchor IS NOT NULL
GROUP BY person_anchor;

CREATE OR REPLACE TABLE {w}.previous_person_id AS
SELECT DISTINCT person_id FROM {previous_person} WHERE person_id IS NOT NULL;

CREATE OR REPLACE TABLE {w}.history_before AS
SELECT retired_id, person_id, reason, first_seen_at FROM {previous_history};

-- steps 1 and 2: ids claimed through the history or because the previous release had them
CREATE OR REPLACE TABLE {w}.person_claim AS
WITH resolved AS (
    SELECT n.person_anchor, n.natural_id, n.records, coalesce(h.person_id, n.natural_id) AS resolved_id,
           h.person_id IS NOT NULL AS from_history
    FROM {w}.person_natural n
    LEFT JOIN {w}.history_before h ON h.retired_id = n.natural_id
)
SELECT person_anchor, natural_id, resolved_id AS person_id
FROM resolved
WHERE from_history OR resolved_id IN (SELECT person_id FROM {w}.previous_person_id)
QUALIFY row_number() OVER (PARTITION BY resolved_id
                           ORDER BY (natural_id = resolved_id) DESC, records DESC, natural_id) = 1;

-- step 3: lineage, for persons without a claim: the previous id (through the history) of their records
CREATE OR REPLACE TABLE {w}.person_lineage_vote AS
SELECT m.person_anchor, coalesce(h.person_id, ps.person_id) AS previous_id, count(*) AS records
FROM {w}.record_match m
JOIN {previous_source} ps ON ps.source = m.source AND ps.source_record_id = m.source_record_id
LEFT JOIN {w}.history_before h ON h.retired_id = ps.person_id
WHERE m.person_anchor IS NOT NULL AND ps.person_id IS NOT NULL
GROUP BY ALL;

CREATE OR REPLACE TABLE {w}.person_inherit AS
WITH open_vote AS (
    SELECT v.*, n.natural_id
    FROM {w}.person_lineage_vote v
    JOIN {w}.person_natural n USING (person_anchor)
    WHERE v.person_anchor NOT IN (SELECT person_anchor FROM {w}.person_claim)
      AND v.previous_id IN (SELECT person_id FROM {w}.previous_person_id)
      AND v.previous_id NOT IN (SELECT person_id FROM {w}.person_claim)
), best AS (
    SELECT * FROM open_vote
    QUALIFY row_number() OVER (PARTITION BY person_anchor ORDER BY records DESC, previous_id) = 1
)
SELECT person_anchor, natural_id, previous_id AS person_id
FROM best
QUALIFY row_number() OVER (PARTITION BY previous_id ORDER BY records DESC, natural_id) = 1;

CREATE OR REPLACE TABLE {w}.person_key AS
SELECT n.person_anchor, coalesce(c.person_id, i.person_id, n.natural_id) AS person_id
FROM {w}.person_natural n
LEFT JOIN {w}.person_claim c USING (person_anchor)
LEFT JOIN {w}.person_inherit i USING (person_anchor);

-- retired ids: natural ids that inherited an earlier id, and earlier ids nobody kept (merged)
CREATE OR REPLACE TABLE {w}.history_new AS
SELECT i.natural_id AS retired_id, i.person_id,
       CASE WHEN i.person_anchor LIKE 'nik:%' AND i.person_id LIKE 'R%' THEN 'nik_dikonfirmasi'
            ELSE 'anchor_berubah' END AS reason
FROM {w}.person_inherit i
WHERE i.natural_id <> i.person_id
UNION ALL
SELECT v.previous_id AS retired_id, k.person_id, 'digabung' AS reason
FROM {w}.person_lineage_vote v
JOIN {w}.person_key k USING (person_anchor)
WHERE v.previous_id IN (SELECT person_id FROM {w}.previous_person_id)
  AND v.previous_id NOT IN (SELECT person_id FROM {w}.person_key)
QUALIFY row_number() OVER (PARTITION BY v.previous_id ORDER BY v.records DESC, k.person_id) = 1;

CREATE OR REPLACE TABLE {history_table} AS
WITH merged AS (
    SELECT retired_id, person_id, reason, first_seen_at FROM {w}.history_before
    WHERE retired_id NOT IN (SELECT retired_id FROM {w}.history_new)
    UNION ALL
    SELECT n.retired_id, n.person_id, n.reason, coalesce(b.first_seen_at, current_timestamp::TIMESTAMP) AS first_seen_at
    FROM {w}.history_new n
    LEFT JOIN {w}.history_before b USING (retired_id)
)
SELECT m.retired_id, coalesce(n.person_id, m.person_id) AS person_id, m.reason, m.first_seen_at
FROM merged m
LEFT JOIN {w}.history_new n ON n.retired_id = m.person_id
WHERE m.retired_id NOT IN (SELECT person_id FROM {w}.person_key);
