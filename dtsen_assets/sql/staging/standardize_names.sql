-- Standardized names, computed once per distinct raw name (temp table name_input) into name_standard.
-- Steps, in order: upper case and words; split words glued by dots (H.AHMAD); drop titles before
-- the name (H., HJ, DRS., ...) and degrees after it (S.PD, S.E., ...); cut from BIN/BINTI/ALIAS
-- (the father's or a second name) and drop the degrees left before the cut; expand abbreviations
-- and unify spellings (MUH./MOCH -> MUHAMMAD); keep letters only. The word lists are name_rules.csv.
CREATE OR REPLACE TEMP TABLE name_standard AS
WITH words AS (
    SELECT DISTINCT nama_raw, split_glued_words(name_words(nama_raw), r.titles_after) AS words
    FROM name_input, name_rule_set AS r
    WHERE nama_raw IS NOT NULL
),
without_titles_before AS (
    SELECT nama_raw, words AS raw_words, drop_leading_words(words, r.titles_before) AS words
    FROM words, name_rule_set AS r
),
without_titles AS (
    SELECT *, list_reverse(drop_leading_words(list_reverse(words), r.titles_after)) AS kept
    FROM without_titles_before, name_rule_set AS r
),
cut AS (
    SELECT *, cut_position(kept, r.cut_from) AS cut_at FROM without_titles, name_rule_set AS r
),
without_cut AS (
    SELECT
        *,
        CASE WHEN cut_at IS NOT NULL THEN r.cut_from[name_key(kept[cut_at])] END AS cut_problem,
        CASE WHEN cut_at IS NULL THEN kept
             ELSE list_reverse(drop_leading_words(list_reverse(kept[:cut_at - 1]), r.titles_after)) END AS name_words
    FROM cut, name_rule_set AS r
),
expanded AS (
    SELECT
        nama_raw,
        list_transform(name_words, lambda w: coalesce(r.word_replacements[name_key(w)], w)) AS expanded_words,
        -- titles dropped before the name, after it, and before BIN/BINTI (not those of the father)
        list_sort(list_distinct(flatten([
            problems_of_words(raw_words[:length(raw_words) - length(words)], r.titles_before),
            problems_of_words(words[length(kept) + 1:], r.titles_after),
            CASE WHEN cut_at IS NOT NULL
                 THEN problems_of_words(kept[length(name_words) + 1:cut_at - 1], r.titles_after) ELSE [] END
        ]))) AS title_problems,
        cut_problem,
        problems_of_words(name_words, r.word_problems) AS word_problems
    FROM without_cut, name_rule_set AS r
),
cleaned AS (
    SELECT *, list_filter(list_transform(expanded_words, lambda w: name_key(w)), lambda w: w <> '') AS letters_only
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
        [CASE WHEN list_bool_or(list_transform(expanded_words, lambda w: regexp_full_match(w, '\p{L}\.')))
              THEN 'name_initial' END],
        [CASE WHEN letters_only = [] THEN 'name_missing' END]
    ]), lambda p: p IS NOT NULL) AS problems
FROM cleaned;
