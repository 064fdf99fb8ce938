-- Name tokens for comparison: the knowledge a generic linker lacks about Indonesian names.
-- Applied on top of staging's standardized `nama` (which already removes titles, BIN/BINTI and
-- expands abbreviations); repeated here defensively so a name staging missed is still compared well.
--   * split on spaces; a leading title token (H., HJ, DRS., ...) and trailing degree tokens
--     (S.PD, S.E., A.MD, ...) are dropped, as is everything after a comma;
--   * everything from BIN / BINTI on is dropped (the father's name is not the person's);
--   * each token keeps its letters only ("A." -> "A", an initial);
--   * spelling variants map to one form (MOCH, MOH, MUH, MOHAMMAD, MOCHAMMAD ... -> MUHAMMAD).
-- `unify_name_tokens(nama)` returns the tokens in their original order.
CREATE OR REPLACE TEMP MACRO unify_raw_tokens(nama) AS
    list_filter(string_split(trim(regexp_replace(split_part(upper(coalesce(nama, '')), ',', 1), '\s+', ' ', 'g')), ' '),
                lambda t: t <> '');

CREATE OR REPLACE TEMP MACRO unify_strip_titles(tokens) AS
    list_filter(
        list_slice(tokens,
                   CASE WHEN len(tokens) > 1
                             AND regexp_replace(tokens[1], '[^A-Z]', '', 'g') IN ('H', 'HJ', 'HAJI', 'HAJJAH', 'DRS', 'DRA', 'IR', 'DR', 'KH', 'PROF', 'NY', 'TN')
                             AND (tokens[1] LIKE '%.' OR regexp_replace(tokens[1], '[^A-Z]', '', 'g') IN ('HJ', 'HAJI', 'HAJJAH', 'DRS', 'DRA', 'KH', 'PROF'))
                        THEN 2 ELSE 1 END,
                   coalesce(list_position(list_transform(tokens, lambda t, i: i > 1 AND t IN ('BIN', 'BINTI')), true) - 1,
                            len(tokens))),
        lambda t: NOT regexp_full_match(t, '(S|M|A|D)\.[A-Z]{1,4}(\.[A-Z]{1,2})?\.?|S\.?PD\.?I?|SE|SH|SKM|SKOM|SAG|SSOS|AMD|MPD'));

CREATE OR REPLACE TEMP MACRO unify_name_variant(t) AS
    coalesce(MAP {
        'MUH': 'MUHAMMAD', 'MUHD': 'MUHAMMAD', 'MOCH': 'MUHAMMAD', 'MOH': 'MUHAMMAD', 'MOHD': 'MUHAMMAD',
        'MUHAMAD': 'MUHAMMAD', 'MUHAMMED': 'MUHAMMAD', 'MOHAMMAD': 'MUHAMMAD', 'MOHAMAD': 'MUHAMMAD',
        'MOHAMMED': 'MUHAMMAD', 'MOCHAMMAD': 'MUHAMMAD', 'MOCHAMAD': 'MUHAMMAD', 'MUCHAMMAD': 'MUHAMMAD',
        'MUCHAMAD': 'MUHAMMAD', 'MOCHAMED': 'MUHAMMAD', 'MOHAMED': 'MUHAMMAD',
        'ABD': 'ABDUL', 'ABDOEL': 'ABDUL', 'AHM': 'AHMAD', 'ACHMAD': 'AHMAD', 'AHMED': 'AHMAD',
        'NR': 'NUR', 'NOER': 'NUR', 'NURUL': 'NUR',
        'SITTI': 'SITI', 'SYAMSUL': 'SAMSUL', 'SJAMSUL': 'SAMSUL'
    }[t], t);

CREATE OR REPLACE TEMP MACRO unify_name_tokens(nama) AS
    list_filter(
        list_transform(unify_strip_titles(unify_raw_tokens(nama)),
                       lambda t: unify_name_variant(regexp_replace(t, '[^A-Z]', '', 'g'))),
        lambda t: t <> '');

-- Every token of `a` is in `b`, a single letter standing for any token with that initial
-- (a missing name part, or a part shortened to its initial). Reads the precomputed lists
-- name_words (tokens of two letters or more), name_letters (single letters) and name_initials
-- (first letter of every token), so no list is built per pair.
CREATE OR REPLACE TEMP MACRO unify_name_inside(a_words, a_letters, b_words, b_initials) AS
    len(a_words) + len(a_letters) > 0 AND list_has_all(b_words, a_words) AND list_has_all(b_initials, a_letters);

-- Name agreement in [0, 1]: 1 for the same tokens in any order, 0.97 for one name inside the
-- other, else the better Jaro-Winkler similarity of the full and of the order-free names.
-- NULL when either name is unknown. `a` and `b` are table aliases.
CREATE OR REPLACE TEMP MACRO unify_name_score(a_full, a_sorted, a_words, a_letters, a_initials,
                                                   b_full, b_sorted, b_words, b_letters, b_initials) AS
    CASE
        WHEN a_full IS NULL OR b_full IS NULL THEN NULL
        WHEN a_sorted = b_sorted THEN 1.0
        WHEN unify_name_inside(a_words, a_letters, b_words, b_initials)
          OR unify_name_inside(b_words, b_letters, a_words, a_initials) THEN 0.97
        ELSE greatest(jaro_winkler_similarity(a_full, b_full), jaro_winkler_similarity(a_sorted, b_sorted))
    END;

-- A candidate's identity (name, birth date, sex) is confirmed when its match weight reaches the
-- configured minimum; when the record itself names the candidate (its NIK), a lower minimum
-- applies: the identity must then only not contradict it (search_resolve.sql, rest_link.sql).
CREATE OR REPLACE TEMP MACRO unify_identity_ok(identity_weight, named, min_named, min_other) AS
    identity_weight >= CASE WHEN named THEN min_named ELSE min_other END;
