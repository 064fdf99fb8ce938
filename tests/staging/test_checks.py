"""The staging checks catch what they guard, with masked examples."""

from __future__ import annotations

import duckdb

from dtsen_assets.checks import staging as checks
from dtsen_assets.platform.vocabulary import FAMILY_CODED, PERSON_CODED
from dtsen_assets.staging.dukcapil import build_dukcapil_person
from dtsen_assets.staging.family import build_family_record
from dtsen_assets.staging.person import PERSON_SOURCES, build_person_record
from dtsen_assets.staging.quality import code_shares, problem_counts
from tests.staging.raw import row, write_tiny_raw

PERSON_RAW = PERSON_SOURCES


def test_one_row_per_raw_record_catches_lost_and_duplicated_records(connection: duckdb.DuckDBPyConnection) -> None:
    write_tiny_raw(connection)
    build_family_record(connection)
    build_person_record(connection)
    key = ["source", "source_record_id"]
    assert checks.check_one_row_per_raw_record(connection, "staging.person_record", PERSON_RAW, key).passed
    connection.execute("DELETE FROM staging.person_record WHERE source_record_id = 'ART-0002'")
    lost = checks.check_one_row_per_raw_record(connection, "staging.person_record", PERSON_RAW, key)
    assert not lost.passed and "dtks: 2 raw record(s) in raw.dtks_art but 1 staged" in lost.summary
    connection.execute("INSERT INTO staging.person_record SELECT * FROM staging.person_record WHERE source = 'p3ke'")
    duplicated = checks.check_one_row_per_raw_record(connection, "staging.person_record", PERSON_RAW, key)
    assert not duplicated.passed and "p3ke/IND-01" in duplicated.summary


def test_unknown_code_share_over_threshold_blocks(connection: duckdb.DuckDBPyConnection) -> None:
    write_tiny_raw(connection, dtks_keluarga=[
        row("dtks_keluarga", ID_KELUARGA="DTKS-0001", LANTAI="12"),
        row("dtks_keluarga", ID_KELUARGA="DTKS-0002"),
    ])
    build_family_record(connection)
    shares = code_shares(connection, "staging.family_record", FAMILY_CODED)
    lantai = next(s for s in shares if (s.source, s.variable) == ("dtks", "lantai"))
    assert (lantai.codes_read, lantai.unknown, lantai.unknown_share) == (2, 1, 0.5)
    assert not any(s.variable == "jenis_kloset" and s.source == "dtks" for s in shares)   # DTKS lacks it
    outcome = checks.check_unknown_codes(shares, 0.05, "staging.family_record", min_unknown=1)
    assert not outcome.passed and outcome.blocking
    assert "dtks.lantai 1 of 2 (50.0%)" in outcome.summary
    assert checks.check_unknown_codes(shares, 0.6, "staging.family_record", min_unknown=1).passed
    # one slip in a small sample is no changed coding
    assert checks.check_unknown_codes(shares, 0.05, "staging.family_record").passed


def test_person_without_family_blocks(connection: duckdb.DuckDBPyConnection) -> None:
    write_tiny_raw(connection, dtks_art=[row("dtks_art", 0), row("dtks_art", 1, ID_KELUARGA="DTKS-0404")])
    build_family_record(connection)
    build_person_record(connection)
    outcome = checks.check_family_exists(connection, "staging.person_record", "staging.family_record")
    assert not outcome.passed
    assert outcome.summary.endswith("e.g. dtks line 3 (family DTKS-0404)")


def test_dukcapil_nik_twice_after_cleaning_blocks_with_masked_example(connection: duckdb.DuckDBPyConnection) -> None:
    write_tiny_raw(connection, dukcapil_penduduk=[row("dukcapil_penduduk", 0),
                                                  row("dukcapil_penduduk", 0, NIK="'3204105508800002")])
    build_dukcapil_person(connection)
    outcome = checks.check_nik_unique(connection, "staging.dukcapil_person")
    assert not outcome.passed
    assert "3204********0002 on lines 2, 3" in outcome.summary
    assert "3204105508800002" not in outcome.summary


def test_problem_shares_warn(connection: duckdb.DuckDBPyConnection) -> None:
    write_tiny_raw(connection)
    build_family_record(connection)
    build_person_record(connection)
    counts = problem_counts(connection, "staging.person_record")
    by_problem = {(c.source, c.problem): (c.records, c.share) for c in counts}
    assert by_problem[("dtks", "nik_apostrophe")] == (1, 0.5)
    outcome = checks.check_problem_shares(counts, 0.25, "staging.person_record")
    assert not outcome.passed and not outcome.blocking
    assert checks.check_problem_shares(counts, 1.0, "staging.person_record").passed
    assert checks.check_unknown_codes(code_shares(connection, "staging.person_record", PERSON_CODED), 0.05,
                                      "staging.person_record").passed
