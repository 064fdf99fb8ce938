-- program.kandidat: one row per program x unit meeting a rule of {w}.aturan (the rule file).
--   keluarga rules: every family whose desil <= desil_asesmen_maks and, when the rule lists components,
--                   with at least one member meeting one (komponen_keluarga).
--   orang rules:    every active person whose family's desil <= desil_asesmen_maks, aged umur_min..umur_maks
--                   when the rule gives an age band.
-- status: ditunda when a village meeting declared the family MAMPU and no field check decided yet (and
-- the rule file holds such families, musdes_mampu_ditunda); else layak up to desil_layak_maks, else
-- perlu_asesmen. A family whose MAMPU a later meeting confirmed is no candidate; neither is a family
-- without a desil (belum terdata).
CREATE OR REPLACE TABLE {target} AS
WITH unit AS (
    SELECT a.program, a.aturan, k.family_id, NULL::VARCHAR AS person_id, k.desil, a.desil_layak_maks,
           a.desil_asesmen_maks, c.komponen AS syarat
    FROM {w}.aturan a
    JOIN {w}.keluarga k ON k.desil <= a.desil_asesmen_maks
    LEFT JOIN {w}.komponen_keluarga c ON c.aturan = a.aturan AND c.family_id = k.family_id
    WHERE a.unit = 'keluarga' AND (NOT a.perlu_komponen OR c.family_id IS NOT NULL)
    UNION ALL
    SELECT a.program, a.aturan, k.family_id, o.person_id, k.desil, a.desil_layak_maks, a.desil_asesmen_maks,
           CASE WHEN a.umur_min IS NOT NULL OR a.umur_maks IS NOT NULL
                THEN 'umur ' || o.umur || ' (' || coalesce(a.umur_min::VARCHAR, '') || '-' || coalesce(a.umur_maks::VARCHAR, '') || ' tahun)' END
    FROM {w}.aturan a
    JOIN {w}.orang o ON (a.umur_min IS NULL OR coalesce(o.umur >= a.umur_min, false))
                    AND (a.umur_maks IS NULL OR coalesce(o.umur <= a.umur_maks, false))
    JOIN {w}.keluarga k ON k.family_id = o.family_id AND k.desil <= a.desil_asesmen_maks
    WHERE a.unit = 'orang'
)
SELECT u.program, u.family_id, u.person_id, u.desil::INTEGER AS desil,
       CASE WHEN m.keadaan = 'ditunda' AND {mampu_ditunda} THEN 'ditunda'
            WHEN u.desil <= u.desil_layak_maks THEN 'layak'
            ELSE 'perlu_asesmen' END AS status,
       u.aturan,
       CASE WHEN m.keadaan = 'ditunda' AND {mampu_ditunda}
                THEN 'musdes menyatakan MAMPU (sejak ' || m.sejak || '): ditunda sampai cek lapangan; desil ' || u.desil
            WHEN u.desil <= u.desil_layak_maks
                THEN 'desil ' || u.desil || ' (batas layak ' || u.desil_layak_maks || ')'
            ELSE 'desil ' || u.desil || ': hanya melalui asesmen (batas layak ' || u.desil_layak_maks || ', asesmen sampai ' || u.desil_asesmen_maks || ')'
       END || coalesce('; ' || CASE WHEN u.person_id IS NULL THEN 'komponen: ' ELSE '' END || u.syarat, '') AS alasan
FROM unit u
LEFT JOIN {w}.keluarga_mampu m USING (family_id)
WHERE m.keadaan IS DISTINCT FROM 'mampu_dikonfirmasi'
ORDER BY u.program, u.family_id, u.person_id NULLS FIRST;
