"""Every problem of sources.md appears at its documented rate, and is where truth says it is.

Counts are measured from the drop itself wherever a problem can be seen there (an apostrophe,
a title, an impossible date); otherwise from the drop joined to truth (a typo needs the true NIK).
Rates are checked against the ledger (truth/problems.csv) with a binomial tolerance, for the
default rates, doubled rates and zero rates.
"""

from __future__ import annotations

import math
import re
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest

from dtsen_assets.synth import ProblemRates
from dtsen_assets.synth.reference import PAPUA_OLD_REGENCY, load_reference
from tests.synth.drop import SKIPS, coded_columns, normalize_label, valid_codes

TITLE = re.compile(r"^(?:H|HJ|DRS|DRA|IR|DR|KH)\.?\s|,?\s(?:S\.PD|S\.E\.|S\.H\.|S\.T\.|S\.KOM|S\.AG|S\.SOS|A\.MD|M\.PD|SE|S\.PD\.I)$",
                   re.IGNORECASE)
BIN = re.compile(r"\s(?:BIN|BINTI)\s", re.IGNORECASE)


def assert_rate(injected: int, eligible: int, rate: float, label: str = "", sigmas: float = 4.5) -> None:
    """injected ~ Binomial(eligible, rate), within a few standard deviations."""
    if rate > 0:
        assert eligible > 0, label
    expected = rate * eligible
    sd = math.sqrt(eligible * rate * (1 - rate))
    assert abs(injected - expected) <= sigmas * sd + 2, f"{label}: {injected} injected of {eligible}, rate {rate}"


# ---------------------------------------------------------------- rates

def test_every_documented_problem_is_in_the_ledger(default_drop):
    listed = set(default_drop.problems["problem"])
    expected = {f.name for f in fields(ProblemRates)} - {"regsosek_nik_empty"}
    assert expected <= listed, expected - listed
    regsosek_empty = default_drop.problems[(default_drop.problems["problem"] == "nik_empty")
                                           & (default_drop.problems["file"] == "regsosek/individu.csv")]
    assert regsosek_empty["documented_rate"].iloc[0] == ProblemRates().regsosek_nik_empty


def test_ledger_rates_match_the_documented_rates(problem_drop):
    problems = problem_drop.problems.dropna(subset=["documented_rate"])
    grouped = problems.groupby(["problem", "documented_rate"])[["injected_count", "eligible_count"]].sum()
    assert len(grouped) >= 30
    for (problem, rate), row in grouped.iterrows():
        assert_rate(row["injected_count"], row["eligible_count"], rate, problem)


def test_doubling_the_rates_doubles_the_problems(default_drop, doubled_drop):
    for problem in ("nik_apostrophe", "name_casing", "p3ke_label_noise", "housing_disagreement", "dead"):
        default = default_drop.injected(problem) / default_drop.eligible(problem)
        doubled = doubled_drop.injected(problem) / doubled_drop.eligible(problem)
        assert 1.5 < doubled / default < 2.6, problem
    assert doubled_drop.problems["documented_rate"].max() <= 1.0


def test_other_rates_can_be_given_by_name(tmp_path):
    from dtsen_assets.synth import generate_drop
    from tests.synth.drop import Drop

    generate_drop(tmp_path, 2_000, seed=5, rates=ProblemRates.zero(), nik_apostrophe=0.5, name_title=0.5)
    drop = Drop(tmp_path)
    records = drop.person_records
    apostrophes = records["nik_cell"].str.startswith("'")
    assert_rate(int(apostrophes.sum()), len(records), 0.5, "nik_apostrophe")
    assert drop.injected("nik_typo") == 0 and drop.injected("name_casing") == 0
    with pytest.raises(ValueError, match="unknown problem rate"):
        generate_drop(tmp_path, 100, seed=1, nik_apostrophy=0.1)


def test_rates_must_be_probabilities_that_can_be_drawn():
    with pytest.raises(ValueError, match="not a probability"):
        ProblemRates(nik_typo=-0.1)
    with pytest.raises(ValueError, match="sum to"):
        ProblemRates().with_overrides(nik_typo=0.6, nik_apostrophe=0.5)
    assert ProblemRates().scaled(5).nik_typo == pytest.approx(0.1)
    assert ProblemRates.zero().scaled(3) == ProblemRates.zero()


# ---------------------------------------------------------------- NIK

def test_nik_format_problems_are_exactly_the_injected_ones(problem_drop):
    records = problem_drop.person_records
    cell = records["nik_cell"]
    digits = cell.str.fullmatch(r"\d+")
    detected = {
        "nik_apostrophe": cell.str.startswith("'"),
        "nik_spaces": cell.str.contains(" "),
        "nik_too_short": digits & (cell.str.len() < 16),
        "nik_too_long": digits & (cell.str.len() > 16),
        "nik_all_zero": cell == "0" * 16,
        "nik_empty": cell == "",
    }
    for problem, mask in detected.items():
        for file, in_file in records.groupby("file"):
            found = int(mask[in_file.index].sum())
            assert found == problem_drop.injected(problem, file, "NIK"), (problem, file)
    # Apostrophe and spaces hide the right NIK.
    hidden = detected["nik_apostrophe"] | detected["nik_spaces"]
    assert (cell[hidden].str.replace(r"[' ]", "", regex=True) == records.loc[hidden, "nik"]).all()


def test_wrong_niks_are_one_edit_typos_or_someone_elses(problem_drop):
    records = problem_drop.person_records
    cell = records["nik_cell"]
    valid = cell.str.fullmatch(r"\d{16}") & (cell != "0" * 16)
    wrong = records[valid & (cell != records["nik"])]
    known = set(problem_drop.truth("persons")["nik"])
    someone_else = wrong["nik_cell"].isin(known)

    def one_edit(a: str, b: str) -> bool:
        diff = [i for i in range(16) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])

    typos = wrong[~someone_else]
    assert all(one_edit(a, b) for a, b in zip(typos["nik_cell"], typos["nik"]))
    injected_typo, injected_ganda = problem_drop.injected("nik_typo"), problem_drop.injected("nik_ganda")
    assert len(wrong) == injected_typo + injected_ganda
    # A typo can land on another person's NIK; allow a couple.
    assert abs(int(someone_else.sum()) - injected_ganda) <= 2
    assert injected_ganda > 0 and injected_typo > 0


def test_dukcapil_nik_digits_and_old_region_prefixes(problem_drop):
    penduduk = problem_drop.file("dukcapil_penduduk")
    nik, birth = penduduk["NIK"], pd.to_datetime(penduduk["TGL_LHR"])
    women = penduduk["JENIS_KLMIN"] == "PEREMPUAN"
    day = nik.str[6:8].astype(int)
    shown_women = day > 40
    date_digits = (day % 40).astype(str).str.zfill(2) + nik.str[8:12]
    birth_digits = birth.dt.strftime("%d%m%y")
    assert (date_digits != birth_digits).sum() == problem_drop.injected("nik_birthdate_mismatch")
    assert (shown_women != women).sum() == problem_drop.injected("nik_sex_mismatch")
    current = set(load_reference().district_codes.astype(str))
    retired = ~nik.str[:6].isin(current)
    assert retired.sum() == problem_drop.injected("nik_old_prefix")
    # Only for persons born before 2010: Papua's regency codes from before the 2022 split, elsewhere
    # district numbers out of today's range.
    assert (birth[retired] < "2010-01-01").all()
    papua_old = nik.str[:4].isin([str(c) for c in PAPUA_OLD_REGENCY.values()])
    district_number = nik.str[4:6].astype(int)
    assert (papua_old | (district_number > 50) | (district_number == 0))[retired].all()


# ---------------------------------------------------------------- names

def test_name_problems_seen_in_the_drop(problem_drop):
    records = problem_drop.person_records
    name = records["nama_cell"]
    assert (name != "").all()
    detected = {
        "name_title": name.str.contains(TITLE),
        "name_bin_binti": name.str.contains(BIN),
        "name_casing": name != name.str.upper(),
    }
    for problem, mask in detected.items():
        for file, in_file in records.groupby("file"):
            assert int(mask[in_file.index].sum()) == problem_drop.injected(problem, file, "NAMA"), (problem, file)
    untouched = records["problems"].fillna("").str.contains("name_") == False  # noqa: E712
    assert (records.loc[untouched, "nama_cell"] == records.loc[untouched, "nama"]).all()


def test_name_problems_known_from_truth(problem_drop):
    records = problem_drop.person_records
    tags = records["problems"].fillna("")
    for problem in ("name_missing_part", "name_swapped", "name_abbreviation", "name_typo"):
        tagged = tags.str.split(";").apply(lambda t: problem in t)
        assert tagged.sum() == problem_drop.injected(problem), problem
        assert (records.loc[tagged, "nama_cell"].str.upper() != records.loc[tagged, "nama"]).mean() > 0.9
    abbreviated = records[tags.str.contains("name_abbreviation")]
    assert abbreviated["nama_cell"].str.upper().str.contains(r"\b(?:MUH|MOCH|MOH|ABD|M)\.?\s|\.", regex=True).mean() > 0.9


# ---------------------------------------------------------------- dates

def test_date_problems_seen_in_the_drop(problem_drop):
    records = problem_drop.person_records
    cell = records["tgl_cell"]
    day_first = records["day_first"].astype(bool)
    iso = pd.to_datetime(cell.where(~day_first), format="%Y-%m-%d", errors="coerce")
    dmy = pd.to_datetime(cell.where(day_first), format="%d-%m-%Y", errors="coerce")
    parsed = iso.fillna(dmy)
    detected = {
        "date_impossible": (cell != "") & parsed.isna(),
        "date_placeholder": parsed == "1900-01-01",
        "date_missing_age_only": cell == "",
    }
    for problem, mask in detected.items():
        assert int(mask.sum()) == problem_drop.injected(problem), problem
    ok = ~(detected["date_impossible"] | detected["date_placeholder"] | detected["date_missing_age_only"])
    assert (parsed[ok].dt.strftime("%Y-%m-%d") == records.loc[ok, "tgl_lahir"]).all()
    assert not detected["date_missing_age_only"][records["source"] == "dtks"].any()   # DTKS has no age


# ---------------------------------------------------------------- cells, labels, cards

def test_p3ke_labels_in_any_casing_with_stray_spaces(problem_drop):
    total = 0
    for key in ("p3ke_keluarga", "p3ke_individu"):
        table = problem_drop.file(key)
        for column in coded_columns(key):
            labels = valid_codes("p3ke", column)
            normalized = {normalize_label(v) for v in labels}
            values = table[column]
            noisy = ~values.isin(labels) & values.map(normalize_label).isin(normalized)
            path = "p3ke/keluarga.csv" if key == "p3ke_keluarga" else "p3ke/individu.csv"
            assert noisy.sum() == problem_drop.injected("p3ke_label_noise", path, column), column
            total += int(noisy.sum())
    assert total > 100


def test_regsosek_family_cards_sometimes_missing(problem_drop):
    no_kk = problem_drop.file("regsosek_keluarga")["NO_KK"]
    assert (no_kk == "").sum() == problem_drop.injected("regsosek_no_kk_empty")


def test_dead_movers_and_new_cards(problem_drop):
    penduduk = problem_drop.file("dukcapil_penduduk")
    assert (penduduk["STATUS"] == "MENINGGAL").sum() == problem_drop.injected("dead")
    families = problem_drop.truth("families").set_index("no_kk")
    source_families = problem_drop.truth("source_families")
    records = problem_drop.person_records
    tags = records["problems"].fillna("")
    # The dead are still listed by the sources collected before they died.
    dead_keys = set(problem_drop.truth("persons").query("is_alive == '0'")["person_key"])
    assert (records["person_key"].isin(dead_keys) == tags.str.contains("dead_still_listed")).all()
    assert records["person_key"].isin(dead_keys).any()

    regsosek = problem_drop.file("regsosek_keluarga").merge(
        source_families[source_families["source"] == "regsosek"], left_on="ID_KELUARGA", right_on="source_family_id")
    moved = regsosek["KODE_DESA"] != families.loc[regsosek["no_kk_true"], "kode_desa"].to_numpy()
    moved_tagged = set(records.loc[tags.str.contains("moved_village") & (records["source"] == "regsosek"),
                                   "source_record_id"].str.rsplit("-", n=1).str[0])
    assert set(regsosek.loc[moved, "ID_KELUARGA"]) == moved_tagged
    assert_rate(int(moved.sum()), len(regsosek), problem_drop.summary["rates"]["moved"], "moved")
    # Sources show the card of their time: re-issued or changed with a move.
    card_known = regsosek["NO_KK"] != ""
    changed = card_known & (regsosek["NO_KK"] != regsosek["no_kk_true"])
    reissued_tagged = set(records.loc[tags.str.contains("kk_reissued") & (records["source"] == "regsosek"),
                                      "source_record_id"].str.rsplit("-", n=1).str[0])
    assert set(regsosek.loc[changed & ~moved, "ID_KELUARGA"]) == reissued_tagged & set(
        regsosek.loc[card_known, "ID_KELUARGA"])
    assert (changed | ~card_known)[moved].all()


def test_duplicates_within_a_source(problem_drop):
    records = problem_drop.truth("source_records")
    for source, path in (("dtks", "dtks/art.csv"), ("p3ke", "p3ke/individu.csv"),
                         ("regsosek", "regsosek/individu.csv")):
        mine = records[records["source"] == source]
        extra = len(mine) - mine["person_key"].nunique()
        assert extra == problem_drop.injected("duplicate_in_source", path) > 0, source
        assert mine["problems"].fillna("").str.contains("duplicate_in_source").sum() == extra


def test_one_person_in_several_sources(default_drop):
    records = default_drop.truth("source_records")
    sources_per_person = records.groupby("person_key")["source"].nunique()
    assert (sources_per_person == 3).sum() > 100 and (sources_per_person == 2).sum() > 100


def test_nik_ganda_two_people_under_one_nik(problem_drop):
    records = problem_drop.person_records
    ganda = records[records["problems"].fillna("").str.contains("nik_ganda")]
    assert (ganda["nik_cell"] != ganda["nik"]).all()
    # Within a source, the NIK shown is also carried (rightly) by another person's record, mostly.
    shown = records.groupby("source").apply(lambda r: set(r["nik_cell"]), include_groups=False)
    assert np.mean([n in shown[s] for n, s in zip(ganda["nik_cell"], ganda["source"])]) > 0.5


def test_status_padan_stale(problem_drop):
    records = problem_drop.person_records
    dtks = records[records["source"] == "dtks"].merge(
        problem_drop.file("dtks_art")[["ID_ART", "STATUS_PADAN"]], left_on="source_record_id", right_on="ID_ART")
    cleaned = dtks["nik_cell"].str.replace(r"[' ]", "", regex=True)
    padan_today = (cleaned == dtks["nik"]) & (dtks["is_alive"] == "1")
    stale = (dtks["STATUS_PADAN"] == "PADAN") != padan_today
    assert stale.sum() == problem_drop.injected("status_padan_stale")


def test_sources_disagree_about_housing(problem_drop):
    """Families in DTKS and REGSOSEK: floor, wall and roof agree unless one of them was misread."""
    book = load_reference().codebook
    canonical = {(r.source, r.variable, r.code): r.canonical_value for r in book.itertuples()}
    families = problem_drop.truth("source_families")
    dtks = problem_drop.file("dtks_keluarga").merge(families[families["source"] == "dtks"],
                                                   left_on="ID_KELUARGA", right_on="source_family_id")
    regsosek = problem_drop.file("regsosek_keluarga").merge(families[families["source"] == "regsosek"],
                                                           left_on="ID_KELUARGA", right_on="source_family_id")
    both = dtks.merge(regsosek, on="no_kk_true", suffixes=("_dtks", "_regsosek"))
    rate = problem_drop.summary["rates"]["housing_disagreement"]
    for variable in ("LANTAI", "DINDING", "ATAP"):
        a = both[f"{variable}_dtks"].map(lambda c: canonical.get(("dtks", variable, c)))
        b = both[f"{variable}_regsosek"].map(lambda c: canonical.get(("regsosek", variable, c)))
        seen = a.notna() & b.notna()
        disagree = int((a[seen] != b[seen]).sum())
        # Both misread and land on the same category rarely; one misreading always shows.
        expected_rate = 2 * rate * (1 - rate)
        assert_rate(disagree, int(seen.sum()), expected_rate, variable, sigmas=5)


def test_verivali_claims_mostly_true(problem_drop):
    truth = problem_drop.truth("verivali")
    wrong = int((truth["is_true_claim"] == "0").sum())
    assert wrong == problem_drop.injected("verivali_wrong_claim")
    assert_rate(wrong, len(truth), problem_drop.summary["rates"]["verivali_wrong_claim"], "verivali")


def test_record_problem_tags_agree_with_the_ledger(problem_drop):
    records = problem_drop.person_records
    for (problem, file), rows in problem_drop.problems.groupby(["problem", "file"]):
        if file not in {f"{s}/{n}.csv" for s, n in (("dtks", "art"), ("p3ke", "individu"), ("regsosek", "individu"))}:
            continue
        if problem in ("code_outside_codebook", "empty_cell", "p3ke_label_noise"):
            continue     # counted per cell in the ledger, per record in the tags
        in_file = records[records["file"] == file]
        tagged = in_file["problems"].fillna("").str.split(";").apply(lambda t: problem in t).sum()
        assert tagged == rows["injected_count"].sum(), (problem, file)


# ---------------------------------------------------------------- a clean drop

def test_clean_drop_has_no_problem_at_all(clean_drop):
    assert clean_drop.problems["injected_count"].sum() == 0
    records = clean_drop.person_records
    assert (records["problems"].fillna("") == "").all()
    assert (records["nik_cell"] == records["nik"]).all()
    assert (records["nama_cell"] == records["nama"]).all()
    day_first = records["day_first"].astype(bool)
    shown = pd.to_datetime(records["tgl_cell"].where(~day_first), format="%Y-%m-%d", errors="coerce").fillna(
        pd.to_datetime(records["tgl_cell"].where(day_first), format="%d-%m-%Y", errors="coerce"))
    assert (shown.dt.strftime("%Y-%m-%d") == records["tgl_lahir"]).all()
    assert records.groupby("source")["person_key"].apply(lambda k: k.is_unique).all()
    penduduk = clean_drop.file("dukcapil_penduduk")
    assert (penduduk["STATUS"] == "HIDUP").all()
    assert (clean_drop.file("dtks_art")["STATUS_PADAN"] == "PADAN").all()
    assert (clean_drop.truth("verivali")["is_true_claim"] == "1").all()
    # Cards and villages as today; every coded cell a codebook code (bar skipped questions).
    families = clean_drop.truth("families").set_index("no_kk")
    source_families = clean_drop.truth("source_families")
    regsosek = clean_drop.file("regsosek_keluarga").merge(source_families, left_on="ID_KELUARGA",
                                                         right_on="source_family_id")
    assert (regsosek["NO_KK"] == regsosek["no_kk_true"]).all()
    assert (regsosek["KODE_DESA"].to_numpy() == families.loc[regsosek["no_kk_true"], "kode_desa"].to_numpy()).all()
    for key in ("dtks_keluarga", "dtks_art", "p3ke_keluarga", "p3ke_individu", "regsosek_keluarga",
                "regsosek_individu", "susenas_rumah_tangga"):
        table = clean_drop.file(key)
        source = key.split("_")[0]
        for column in coded_columns(key):
            values = table[column]
            applies = ~table[SKIPS[column][0]].isin(SKIPS[column][1]) if column in SKIPS else values == values
            assert values[applies].isin(valid_codes(source, column)).all(), (key, column)
    # The sources agree about the housing they share.
    dtks = clean_drop.file("dtks_keluarga").merge(source_families, left_on="ID_KELUARGA", right_on="source_family_id")
    both = dtks.merge(regsosek, on="no_kk_true", suffixes=("_dtks", "_regsosek"))
    book = load_reference().codebook
    canonical = {(r.source, r.variable, r.code): r.canonical_value for r in book.itertuples()}
    for variable in ("LANTAI", "DINDING", "ATAP"):
        a = both[f"{variable}_dtks"].map(lambda c: canonical[("dtks", variable, c)])
        b = both[f"{variable}_regsosek"].map(lambda c: canonical[("regsosek", variable, c)])
        assert (a == b).all()
    assert len(both) > 100
