"""dtsen_assets.compare_builds: which published tables two builds of one drop disagree on, and in which columns."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from dtsen_assets import compare_builds


def _warehouse(path: Path, score: float, release: str) -> None:
    with duckdb.connect(str(path)) as connection:
        for schema in ("dtsen", "welfare", "staging"):
            connection.execute(f"CREATE SCHEMA {schema}")
        connection.execute("CREATE TABLE dtsen.person AS SELECT * FROM (VALUES ('P1', 'F1'), ('P2', 'F1')) t(person_id, family_id)")
        connection.execute(f"CREATE TABLE welfare.pmt_score AS SELECT 'F1' AS family_id, {score} AS pengeluaran_kapita_pmt")
        connection.execute(f"CREATE TABLE dtsen.release AS SELECT '{release}' AS release_id")
        connection.execute(f"CREATE TABLE staging.person_record AS SELECT {score} AS x")      # not published
        connection.execute(f"CREATE TABLE welfare.pmt_score__staging AS SELECT {score} AS x")  # internal


def test_names_the_tables_and_columns_that_differ(tmp_path: Path, monkeypatch, capsys) -> None:
    first, second, third = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "c.duckdb"
    _warehouse(first, 1.0, "r1")
    _warehouse(second, 1.0 + 1e-15, "r2")
    _warehouse(third, 1.0, "r3")
    found = compare_builds.compare(str(first), str(second))
    assert set(found) == {"dtsen.person", "dtsen.release", "welfare.pmt_score"}
    assert found["dtsen.person"] == (2, 0, [])
    assert found["welfare.pmt_score"] == (1, 2, ["pengeluaran_kapita_pmt"])   # the last bit counts
    assert found["dtsen.release"][2] == ["release_id"]
    monkeypatch.setattr(sys, "argv", ["compare_builds.py", str(first), str(second)])
    assert compare_builds.main() == 1
    monkeypatch.setattr(sys, "argv", ["compare_builds.py", str(first), str(third)])
    assert compare_builds.main() == 0                 # only the release id differs: expected
    assert "same tables" in capsys.readouterr().out
