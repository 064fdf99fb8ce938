-- Term frequencies for the model's term-frequency adjustments, counted over all of Dukcapil
-- (the population), not over the candidates (which share names with the records by design).
CREATE OR REPLACE TABLE {w}.unify_tf_name_full AS
SELECT name_full, count(*) / (SELECT count(name_full) FROM {w}.dukcapil) AS tf_name_full
FROM {w}.dukcapil WHERE name_full IS NOT NULL GROUP BY name_full;

CREATE OR REPLACE TABLE {w}.unify_tf_tgl_lahir AS
SELECT tgl_lahir, count(*) / (SELECT count(tgl_lahir) FROM {w}.dukcapil) AS tf_tgl_lahir
FROM {w}.dukcapil WHERE tgl_lahir IS NOT NULL GROUP BY tgl_lahir;
