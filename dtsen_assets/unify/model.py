"""The Fellegi-Sunter model that proposes a Dukcapil person for a source record (Splink 5, DuckDB).

Both sides are laid out in the same columns (`search_columns.sql`): a source record on the left,
a Dukcapil person on the right (`source_dataset` 'record' / 'dukcapil'), so every comparison reads
the same column names on both sides. What a generic linker does not know is built into the
comparisons below and into the blocking:

- NIK: exact, one edit (a digit replaced, two neighbours swapped, one digit lost or doubled)
  against the Dukcapil register, two edits, other. A record's NIK is
  compared by its digits even when it is 15 or 17 digits long.
- Name: tokens after titles, BIN/BINTI parts and spelling variants are dealt with
  (`name_macros.sql`); exact, same tokens in any order (swapped parts), one name inside the
  other with initials (missing part, abbreviation to an initial), Jaro-Winkler of the full and
  of the order-free name (typos), a shared token. Exact names get a term-frequency adjustment,
  so a common name (SITI, MUHAMMAD ...) counts for less than a rare one.
- Birth date: exact (term-frequency adjusted: 1 January and 1 July are where unknown dates go),
  a mistake in one of day, month, year (or day and month swapped), only an age (P3KE, REGSOSEK) that agrees, same
  year, within two years.
- Sex; village (desa, kecamatan, kabupaten: a family that moved usually stays in its regency).
- Family card: the Dukcapil person is on the *current* card that the record's other family
  members were confirmed on (their NIK matched), or on the card the source itself shows.

Which pairs are scored is decided before Splink, in SQL (`search_candidates.sql`, `rest_candidates.sql`):
equality joins on keys whose blocks do not grow with the population (NIK, NIK fragments, the family
card, birth date within a regency or with the whole name, name tokens or birth year within a village),
so comparisons per record stay about constant as drops grow (reported in metadata). The one key whose
blocks do grow (birth date and first name token, nationally: a mover whose name is spelt otherwise)
is asked only of records nothing plausible was found for. Splink scores exactly those pairs
(`register_blocked_pairs_for_predict`).
"""

from __future__ import annotations

from typing import Any

from splink import SettingsCreator

# The columns both sides carry (search_columns.sql builds them).
SEARCH_COLUMNS: tuple[str, ...] = (
    "unique_id", "source_dataset", "nik_digits", "name_full", "name_sorted", "name_words",
    "name_letters", "name_initials", "tgl_lahir", "birth_year_a", "jenis_kelamin",
    "kode_desa", "kode_kec", "kode_kab", "kk_context", "kk_source",
)

# One name inside the other, a single letter standing for any token with that initial
# (name_words / name_letters / name_initials are precomputed lists, see prepare_records.sql).
_NAME_INSIDE = ("len(name_words_{a}) + len(name_letters_{a}) > 0 AND list_has_all(name_words_{b}, name_words_{a}) "
                "AND list_has_all(name_initials_{b}, name_letters_{a})")
NAME_INSIDE_SQL = f"(({_NAME_INSIDE.format(a='l', b='r')}) OR ({_NAME_INSIDE.format(a='r', b='l')}))"
NAME_JW_SQL = "greatest(jaro_winkler_similarity(name_full_l, name_full_r), jaro_winkler_similarity(name_sorted_l, name_sorted_r))"
# One edit: a digit replaced, lost or doubled (Levenshtein 1), or two neighbours swapped (same
# length, two positions differ, Damerau-Levenshtein 1). DuckDB's damerau_levenshtein is several
# times slower than levenshtein, so it only runs on the few pairs with Hamming distance 2.
NIK_ONE_EDIT_SQL = ("(levenshtein(nik_digits_l, nik_digits_r) <= 1 OR (length(nik_digits_l) = length(nik_digits_r) "
                    "AND hamming(nik_digits_l, nik_digits_r) = 2 AND damerau_levenshtein(nik_digits_l, nik_digits_r) = 1))")
# Two edits or fewer leave at least one of three pieces of a NIK whole (an edit changes one piece at
# most), so the other NIK contains it: a cheap test that spares the edit distances on nearly every pair
# of different persons (random pairs: 0.27 s -> 0.12 s per 440,000). It is implied by both edit levels,
# so no pair changes level; a NIK shorter than three digits has an empty piece and always passes.
_NIK_THIRDS = ("substr(nik_digits_l, 1, length(nik_digits_l) // 3)",
               "substr(nik_digits_l, length(nik_digits_l) // 3 + 1, 2 * length(nik_digits_l) // 3 - length(nik_digits_l) // 3)",
               "substr(nik_digits_l, 2 * length(nik_digits_l) // 3 + 1)")
NIK_PIECE_SHARED_SQL = "(" + " OR ".join(f"contains(nik_digits_r, {piece})" for piece in _NIK_THIRDS) + ")"
# A mistake in one part of a date (or day and month swapped), in integer arithmetic.
DATE_NEAR_SQL = ("((year(tgl_lahir_l) = year(tgl_lahir_r))::INT + (month(tgl_lahir_l) = month(tgl_lahir_r))::INT "
                 "+ (day(tgl_lahir_l) = day(tgl_lahir_r))::INT >= 2 OR (year(tgl_lahir_l) = year(tgl_lahir_r) "
                 "AND month(tgl_lahir_l) = day(tgl_lahir_r) AND day(tgl_lahir_l) = month(tgl_lahir_r)))")


def _level(sql: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _comparison(name: str, description: str, levels: list[dict[str, Any]]) -> dict[str, Any]:
    return {"output_column_name": name, "comparison_description": description, "comparison_levels": levels}


def comparisons() -> list[dict[str, Any]]:
    """The comparisons of the model, as Splink comparison dicts (levels from most to least alike)."""
    return [
        _comparison("nik", "NIK digits against the Dukcapil NIK", [
            _level("nik_digits_l IS NULL OR nik_digits_r IS NULL", "no NIK", is_null_level=True),
            _level("nik_digits_l = nik_digits_r", "exact"),
            _level(f"{NIK_PIECE_SHARED_SQL} AND {NIK_ONE_EDIT_SQL}", "one edit"),
            _level(f"{NIK_PIECE_SHARED_SQL} AND levenshtein(nik_digits_l, nik_digits_r) <= 2", "two edits"),
            _level("ELSE", "different"),
        ]),
        _comparison("nama", "Name tokens (titles, BIN/BINTI, variants dealt with)", [
            _level("name_full_l IS NULL OR name_full_r IS NULL", "no name", is_null_level=True),
            _level("name_full_l = name_full_r", "exact", tf_adjustment_column="name_full",
                   tf_adjustment_weight=1.0),
            _level("name_sorted_l = name_sorted_r", "same tokens, any order"),
            _level(NAME_INSIDE_SQL, "one name inside the other (initials allowed)"),
            _level(f"{NAME_JW_SQL} >= 0.94", "Jaro-Winkler >= 0.94"),
            _level(f"{NAME_JW_SQL} >= 0.85", "Jaro-Winkler >= 0.85"),
            _level("list_has_any(name_words_l, name_words_r)", "a shared name part"),
            _level("ELSE", "different"),
        ]),
        _comparison("tgl_lahir", "Birth date, or the age a source gives instead", [
            _level("birth_year_a_l IS NULL OR birth_year_a_r IS NULL", "no date nor age", is_null_level=True),
            _level("tgl_lahir_l = tgl_lahir_r", "exact", tf_adjustment_column="tgl_lahir",
                   tf_adjustment_weight=1.0),
            _level(DATE_NEAR_SQL, "two of day, month and year agree, or day and month swapped"),
            _level("(tgl_lahir_l IS NULL OR tgl_lahir_r IS NULL) AND abs(birth_year_a_l - birth_year_a_r) <= 1",
                   "only an age, which agrees"),
            _level("year(tgl_lahir_l) = year(tgl_lahir_r)", "same year"),
            _level("abs(birth_year_a_l - birth_year_a_r) <= 2", "within two years"),
            _level("ELSE", "different"),
        ]),
        _comparison("jenis_kelamin", "Sex", [
            _level("jenis_kelamin_l IS NULL OR jenis_kelamin_r IS NULL", "unknown", is_null_level=True),
            _level("jenis_kelamin_l = jenis_kelamin_r", "same"),
            _level("ELSE", "different"),
        ]),
        _comparison("desa", "Village of the record against the current Dukcapil village", [
            _level("kode_desa_l IS NULL OR kode_desa_r IS NULL", "unknown", is_null_level=True),
            _level("kode_desa_l = kode_desa_r", "same desa"),
            _level("kode_kec_l = kode_kec_r", "same kecamatan"),
            _level("kode_kab_l = kode_kab_r", "same kabupaten"),
            _level("ELSE", "elsewhere"),
        ]),
        _comparison("kartu_keluarga", "Family card: the one the record's family was confirmed on, or the source's own", [
            _level("(kk_context_l IS NULL AND kk_source_l IS NULL) OR (kk_context_r IS NULL AND kk_source_r IS NULL)",
                   "no card known", is_null_level=True),
            _level("kk_context_l = kk_context_r", "on the card the family was confirmed on"),
            _level("kk_source_l = kk_source_r", "on the card the source shows"),
            _level("ELSE", "another card"),
        ]),
    ]


# EM sessions: each blocks on something that leaves the other comparisons free to be estimated.
TRAINING_RULES: tuple[str, ...] = (
    "l.nik_digits = r.nik_digits",
    "l.tgl_lahir_eff = r.tgl_lahir_eff AND l.kode_kab = r.kode_kab",
    "l.kk_context = r.kk_context",
)


# Prior m and u of every non-null level, in the order of `comparisons()`. They are chosen by hand
# from what each level means (checked against models trained on generated drops) and are
# replaced by the drop's own estimates: u from random pairs, m by EM. A drop too small to train
# on (`UnifyConfig.min_training_records`) is scored with these; a level EM could not estimate
# keeps its prior m.
DEFAULT_PARAMETERS: dict[str, list[tuple[float, float]]] = {
    "nik": [(0.90, 1e-6), (0.03, 1e-5), (0.01, 2e-5), (0.06, 0.99997)],
    "nama": [(0.85, 2.4e-4), (0.02, 1e-5), (0.05, 2.7e-3), (0.03, 3.4e-5), (0.02, 2e-3), (0.01, 5.4e-3),
             (0.02, 0.99)],
    "tgl_lahir": [(0.93, 8e-5), (0.02, 4.4e-3), (0.03, 1e-3), (0.005, 1.3e-2), (0.005, 5.6e-2), (0.01, 0.926)],
    "jenis_kelamin": [(0.99, 0.5), (0.01, 0.5)],
    "desa": [(0.93, 6e-4), (0.02, 4e-5), (0.03, 4e-3), (0.02, 0.995)],
    "kartu_keluarga": [(0.90, 2e-5), (0.05, 1e-5), (0.05, 0.99997)],
}


def apply_default_parameters(settings_dict: dict[str, Any]) -> dict[str, Any]:
    """Fill every level's m and u with the priors of DEFAULT_PARAMETERS (a Splink settings dict)."""
    for comparison in settings_dict["comparisons"]:
        priors = DEFAULT_PARAMETERS[comparison["output_column_name"]]
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        for level, (m, u) in zip(levels, priors, strict=True):
            level["m_probability"], level["u_probability"] = m, u
    return settings_dict


def settings(dukcapil_rows: int) -> SettingsCreator:
    """Settings of the record-to-Dukcapil model; a record has at most one person in Dukcapil."""
    return SettingsCreator(
        link_type="link_only",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=[],
        probability_two_random_records_match=1.0 / max(dukcapil_rows, 2),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        unique_id_column_name="unique_id",
        source_dataset_column_name="source_dataset",
        max_iterations=20,
    )
