-- The current family card of each source family, as its confirmed members show it: the
-- Dukcapil NO_KK most of the family's records with a confirmed NIK are on (ties: the smaller
-- card). A member still to be searched is then compared first with the people on that card,
-- which finds them even when the family moved or its card was re-issued since the source.
CREATE OR REPLACE TABLE {w}.family_context AS
SELECT r.source, r.source_family_id, d.no_kk AS kk_context, count(*) AS confirmed_members
FROM {w}.exact_pair e
JOIN {w}.record r USING (record_key)
JOIN {w}.dukcapil d USING (dukcapil_key)
WHERE e.status = 'confirmed' AND d.no_kk IS NOT NULL
GROUP BY r.source, r.source_family_id, d.no_kk
QUALIFY row_number() OVER (PARTITION BY r.source, r.source_family_id ORDER BY count(*) DESC, d.no_kk) = 1;
