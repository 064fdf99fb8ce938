-- Standardized names, computed once per distinct raw name (temp table name_input) into name_standard.
-- Steps, in order: upper case and words; split words glued by dots (H.AHMAD); drop titles before
-- the name (H., HJ, DRS., ...) and degrees after it (S.PD, S.E., ...); cut from BIN/BINTI/ALIAS
-- (the father's or a second name) and drop the degrees left before the cut; expand abbreviations
-- and unify spellings (MUH./MOCH -> MUHAMMAD); keep letters only. The word lists are name_rules.csv.
-- Each word's key (its letters, name_key) is computed once; the steps then only move the bounds of
-- the kept words (first_kept..last_kept, then ..last_name_word before a cut) over the lists of words and keys.
CREATE OR REPLACE TEMP TABLE name_standard AS
WITH words AS (
    SELECT
        nama_raw,
        -- a name in capitals and single spaces is its words as written; only a name with a dot can
        -- have glued words
        CASE WHEN regexp_full_match(nama_raw, '[A-Z]+( [A-Z]+)*') THEN string_split(nama_raw, ' ')
             WHEN contains(nama_raw, '.') THEN split_glued_words(name_words(nama_raw), r.titles_after)
             ELSE name_words(nama_raw) END AS words
    FROM name_input, name_rule_set AS r
    WHERE nama_raw IS NOT NULL
),
keyed AS (
    SELECT
        nama_raw,
        words,
        -- a name of plain letters and spaces is its own key, word by word
        CASE WHEN regexp_full_match(nama_raw, '[A-Za-z ]*') THEN words
             ELSE list_transform(words, lambda w: name_key(w)) END AS keys
    FROM words
),
without_titles_before AS (
    -- the first word that is not a title before the name (1 when every word is one: a name is never made empty)
    SELECT
        *,
        coalesce(list_position(list_transform(keys, lambda k: map_contains(r.titles_before, k)), false), 1)
            AS first_kept,
        list_transform(keys, lambda k: map_contains(r.titles_after, k)) AS is_title_after
    FROM keyed, name_rule_set AS r
),
without_titles AS (
    -- the last word that is not a degree after the name (the last word when every kept one is)
    SELECT
        *,
        length(words) - coalesce(list_position(list_reverse(is_title_after[first_kept:]), false) - 1, 0) AS last_kept
    FROM without_titles_before
),
cut AS (
    -- the first BIN/BINTI/ALIAS after the first kept word (NULL when none)
    SELECT
        *,
        first_kept - 1 + list_position(
            list_transform(keys[first_kept:last_kept], lambda k, i: i > 1 AND map_contains(r.cut_from, k)), true) AS cut_at
    FROM without_titles, name_rule_set AS r
),
without_cut AS (
    -- before a cut, the degrees left before it are dropped too
    SELECT
        *,
        CASE WHEN cut_at IS NULL THEN last_kept
             ELSE cut_at - 1 - coalesce(list_position(list_reverse(is_title_after[first_kept:cut_at - 1]), false) - 1, 0)
        END AS last_name_word
    FROM cut
),
expanded AS (
    SELECT
        nama_raw,
        words[first_kept:last_name_word] AS name_words,
        keys[first_kept:last_name_word] AS name_keys,
        list_transform(keys[first_kept:last_name_word], lambda k: r.word_replacements[k]) AS replacements,
        -- titles dropped before the name, after it, and before BIN/BINTI (not those of the father)
        list_sort(list_distinct(list_filter(
            list_transform(keys[:first_kept - 1], lambda k: r.titles_before[k])
            || list_transform(keys[last_kept + 1:], lambda k: r.titles_after[k])
            || CASE WHEN cut_at IS NOT NULL
                    THEN list_transform(keys[last_name_word + 1:cut_at - 1], lambda k: r.titles_after[k]) ELSE [] END,
            lambda p: p IS NOT NULL))) AS title_problems,
        CASE WHEN cut_at IS NOT NULL THEN r.cut_from[keys[cut_at]] END AS cut_problem,
        list_sort(list_distinct(list_filter(
            list_transform(keys[first_kept:last_name_word], lambda k: r.word_problems[k]),
            lambda p: p IS NOT NULL))) AS word_problems
    FROM without_cut, name_rule_set AS r
),
cleaned AS (
    SELECT
        *,
        list_transform(name_words, lambda w, i: coalesce(replacements[i], w)) AS expanded_words,
        list_filter(
            list_transform(name_keys, lambda k, i: CASE WHEN replacements[i] IS NULL THEN k
                                                        ELSE name_key(replacements[i]) END),
            lambda w: w <> '') AS letters_only
    FROM expanded
)
SELECT
    nama_raw,
    nullif(array_to_string(letters_only, ' '), '') AS nama,
    list_filter(flatten([
        title_problems,
        [cut_problem],
        word_problems,
        [CASE WHEN regexp_matches(nama_raw, '\p{Ll}') THEN 'name_casing' END],
        -- a part left as its initial (SITI H.): linkage can only compare its first letter. Only with
        -- the dot: a one-letter word alone is a name part (Balinese I and NI: I WAYAN).
        [CASE WHEN list_bool_or(list_transform(expanded_words,
                                               lambda w: ends_with(w, '.') AND regexp_full_match(w, '\p{L}\.')))
              THEN 'name_initial' END],
        [CASE WHEN letters_only = [] THEN 'name_missing' END]
    ]), lambda p: p IS NOT NULL) AS problems
FROM cleaned;
