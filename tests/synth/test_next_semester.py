"""The next-semester mode of the generator: the changes it claims are in the files, and only those."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dtsen_assets.synth import generate_drop
from dtsen_assets.synth.next_semester import EXPECTED, NextRates, next_semester

ROOT = Path(__file__).resolve().parents[2]


def read(path: Path, sep: str = ",") -> pd.DataFrame:
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def drops(tmp_path_factory) -> tuple[Path, Path, dict]:
    root = tmp_path_factory.mktemp("next")
    generate_drop(root / "first", 4_000, seed=5)
    counts = next_semester(root / "first", root / "second", seed=3,
                           rates=NextRates(deaths=0.02, births=0.05, new_families=0.03, marriages=0.02,
                                           moved_away=0.01, well_off=0.01, housing=0.05))
    return root / "first", root / "second", counts


def test_every_kind_of_change_is_made_and_has_its_expected_log_entry(drops) -> None:
    _, second, counts = drops
    changes = read(second / "truth" / "changes.csv")
    assert set(counts) >= {"meninggal", "lahir", "keluarga_baru", "keluarga_usulan", "kk_baru", "pindah_keluarga",
                           "pindah_keluar", "mampu", "rumah_membaik", "nik_diperbaiki"}
    assert sum(counts.values()) == len(changes)
    for change, expected in EXPECTED.items():
        rows = changes[changes["change"] == change]
        jenis, alasan = expected if expected else ("", "")
        assert set(rows["jenis"]) <= {jenis} and set(rows["alasan"]) <= {alasan or ""}, change
    # one change per person, except the family-level housing update
    once = changes[~changes["change"].str.startswith("rumah_")]
    assert once["person_key"].is_unique


def test_the_files_show_the_changes(drops) -> None:
    first, second, _ = drops
    changes = read(second / "truth" / "changes.csv")
    before, after = read(first / "dukcapil/penduduk.csv"), read(second / "dukcapil/penduduk.csv")
    status = after.set_index("NIK")["STATUS"]
    dead = changes.loc[changes["change"] == "meninggal", "nik"]
    assert (status[dead] == "MENINGGAL").all()
    assert (before.set_index("NIK")["STATUS"][dead] == "HIDUP").all()
    born = changes[changes["change"] == "lahir"]
    art = read(second / "dtks/art.csv", ";")
    assert set(born["nik"]) <= set(art["NIK"]) and not set(born["nik"]) & set(before["NIK"])
    births = pd.to_datetime(after.set_index("NIK")["TGL_LHR"][born["nik"]])
    assert (births >= "2026-01-01").all()
    # families that moved away or are well-off: no record of theirs is left in any source
    records = read(second / "truth/source_records.csv")
    left = changes.loc[changes["change"].isin(["pindah_keluar", "mampu"]), "person_key"]
    assert not set(left) & set(records["person_key"])
    assert not set(changes.loc[changes["change"].isin(["pindah_keluar", "mampu"]), "nik"]) & (
        set(art["NIK"]) | set(read(second / "p3ke/individu.csv")["NIK"]) | set(read(second / "regsosek/individu.csv")["NIK"]))
    # marriages and new cards: Dukcapil has the new card
    card = after.set_index("NIK")["NO_KK"]
    moved = changes[changes["change"].isin(["pindah_keluarga", "kk_baru", "pindah_desa"])]
    assert (card[moved["nik"]].to_numpy() == moved["no_kk_baru"].to_numpy()).all()
    assert (moved["no_kk_baru"] != moved["no_kk_lama"]).all()
    # the new village decisions
    decisions = pd.concat([read(p) for p in sorted((second / "verivali").glob("musdes_2026_*.csv"))])
    assert set(decisions["AKSI"]) == {"MENINGGAL", "PINDAH", "MAMPU", "USULAN_BARU"}
    # the rest is untouched: SUSENAS, the older village decisions, the column order of every file
    assert filecmp.cmp(first / "susenas/rumah_tangga.csv", second / "susenas/rumah_tangga.csv", shallow=False)
    for path in (first / "verivali").glob("*.csv"):
        assert filecmp.cmp(path, second / "verivali" / path.name, shallow=False)
    for name, sep in (("dtks/keluarga.csv", ";"), ("p3ke/keluarga.csv", ","), ("regsosek/individu.csv", ",")):
        assert list(read(first / name, sep).columns) == list(read(second / name, sep).columns)


def test_only_deaths_changes_only_dukcapil_status(tmp_path: Path, drops) -> None:
    first, _, _ = drops
    counts = next_semester(first, tmp_path / "deaths", seed=1, rates=NextRates().only("deaths"))
    assert set(counts) == {"meninggal"}
    for name in ("dtks/art.csv", "dtks/keluarga.csv", "p3ke/individu.csv", "regsosek/individu.csv"):
        assert filecmp.cmp(first / name, tmp_path / "deaths" / name, shallow=False), name
    before, after = read(first / "dukcapil/penduduk.csv"), read(tmp_path / "deaths/dukcapil/penduduk.csv")
    differs = (before != after).any(axis=1)
    assert differs.sum() == counts["meninggal"]
    with pytest.raises(ValueError, match="unknown change"):
        NextRates().only("earthquakes")


def test_same_seed_same_drop_and_the_command_line(tmp_path: Path, drops) -> None:
    first, second, _ = drops
    command = [sys.executable, "-m", "dtsen_assets.synth", "next", "--from", str(first), "--out", str(tmp_path / "again"),
               "--seed", "3", "--rate", "deaths=0.02", "--rate", "births=0.05", "--rate", "new_families=0.03",
               "--rate", "marriages=0.02", "--rate", "moved_away=0.01", "--rate", "well_off=0.01",
               "--rate", "housing=0.05"]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    for name in ("dukcapil/penduduk.csv", "dtks/art.csv", "dtks/keluarga.csv", "truth/changes.csv"):
        assert filecmp.cmp(second / name, tmp_path / "again" / name, shallow=False), name
