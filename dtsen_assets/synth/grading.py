"""Grading a change log (final.perubahan) against the truth of a next-semester drop (truth/changes.csv).

Truth speaks of world persons (`person_key`); the log of `person_id`s. A person is matched through
its NIK (the published `nik`, when Dukcapil confirmed it) or else through its records
(`dtsen.person_source` against truth/source_records.csv), for the earlier semester (who left) and
the later one (who entered, moved family). Per jenis: expected rows (truth), logged rows, found
(both), precision, recall, and the share of found rows whose alasan agrees. Changes the log must
not show (a move within the regency, a re-issued card, a corrected NIK) count against precision
when logged. Desil moves are graded by direction: of persons whose family's housing improved
(worsened), how many were logged desil_naik (desil_turun), how many the other way (the housing
copied from a better-off family is better on the whole, not in every variable), and how many with
the alasan `data_keluarga_berubah` (all of them, when the log is right: nothing else changed there).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

GRADED_JENIS = ("masuk", "keluar", "pindah_keluarga")


def person_ids_of_truth(connection: duckdb.DuckDBPyConnection, truth_dir: str | Path) -> dict[str, str]:
    """person_key (truth) -> person_id of the warehouse's current dtsen.person (by NIK, else by records)."""
    truth = Path(truth_dir)
    persons = pd.read_csv(truth / "persons.csv", dtype=str, keep_default_na=False)[["person_key", "nik"]]
    records = pd.read_csv(truth / "source_records.csv", dtype=str, keep_default_na=False)[
        ["source", "source_record_id", "person_key"]]
    by_nik = dict(connection.execute("SELECT nik, person_id FROM dtsen.person WHERE nik IS NOT NULL").fetchall())
    mapping = {k: by_nik[n] for k, n in zip(persons["person_key"], persons["nik"]) if n in by_nik}
    lineage = connection.execute(
        "SELECT source, source_record_id, person_id FROM dtsen.person_source WHERE person_id IS NOT NULL").df()
    joined = records.merge(lineage, on=["source", "source_record_id"])
    if not joined.empty:
        votes = joined.groupby(["person_key", "person_id"]).size().reset_index(name="n")
        best = votes.sort_values(["person_key", "n", "person_id"], ascending=[True, False, True]) \
            .drop_duplicates("person_key")
        for key, person_id in zip(best["person_key"], best["person_id"]):
            mapping.setdefault(key, person_id)
    return mapping


def grade_change_log(log: pd.DataFrame, changes: pd.DataFrame, before: dict[str, str],
                     after: dict[str, str]) -> dict:
    """Precision and recall per jenis of `log` (final.perubahan rows of one semester) against `changes`.

    `before` / `after`: person_key -> person_id in the earlier / later semester (person_ids_of_truth).
    """
    changes = changes.fillna("")
    expected = []
    for row in changes.itertuples(index=False):
        mapping = before if row.jenis == "keluar" else after
        expected.append({"person_key": row.person_key, "change": row.change, "jenis": row.jenis or None,
                         "alasan": row.alasan or None, "person_id": mapping.get(row.person_key)})
    expected = pd.DataFrame(expected, columns=["person_key", "change", "jenis", "alasan", "person_id"])
    logged = log[log["jenis"].isin(GRADED_JENIS)]
    report: dict = {}
    for jenis in GRADED_JENIS:
        want = expected[expected["jenis"] == jenis]
        got = logged[logged["jenis"] == jenis]
        found = want.merge(got[["person_id", "alasan"]], on="person_id", suffixes=("", "_log"))
        right_reason = int((found["alasan"].isna() | (found["alasan"] == found["alasan_log"])).sum())
        report[jenis] = {
            "expected": len(want), "logged": len(got), "found": len(found),
            "unmatched_truth": int(want["person_id"].isna().sum()),
            "precision": round(len(found) / len(got), 4) if len(got) else None,
            "recall": round(len(found) / len(want), 4) if len(want) else None,
            "alasan_agrees": round(right_reason / len(found), 4) if len(found) else None,
        }
    silent = expected[expected["jenis"].isna()]
    wrongly_logged = logged.merge(silent[["person_id", "change"]].dropna(), on="person_id")
    report["logged_though_no_change_expected"] = wrongly_logged.groupby("change").size().to_dict()
    for change, direction in (("rumah_membaik", "desil_naik"), ("rumah_memburuk", "desil_turun")):
        people = expected[expected["change"] == change].dropna(subset=["person_id"])
        desil = log[log["jenis"].isin(("desil_naik", "desil_turun"))].merge(people[["person_id"]], on="person_id")
        report[change] = {"persons": len(people), direction: int((desil["jenis"] == direction).sum()),
                          "other_direction": int((desil["jenis"] != direction).sum()),
                          "alasan_data_keluarga_berubah": int((desil["alasan"] == "data_keluarga_berubah").sum())}
    report["desil_moves_logged"] = int(log["jenis"].isin(("desil_naik", "desil_turun")).sum())
    return report
