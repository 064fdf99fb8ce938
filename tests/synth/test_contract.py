"""A generated drop keeps the input contract of sources.md, column by column."""

from __future__ import annotations

import csv
import re

import numpy as np
import pandas as pd
import pytest

from dtsen_assets.contract import SOURCE_FILES, SOURCE_FILES_BY_KEY
from dtsen_assets.synth.reference import load_reference
from tests.synth.drop import SKIPS, coded_columns, normalize_label, valid_codes

SIXTEEN_DIGITS = re.compile(r"^\d{16}$")
TRUTH_HEADERS = {
    "persons": "person_key,nik,no_kk,nama,tgl_lahir,jenis_kelamin,kode_desa,is_alive,family_key",
    "source_records": "source,source_record_id,person_key,problems",
    "source_families": "source,source_family_id,no_kk_true",
    "families": "no_kk,kode_desa,jumlah_art,pengeluaran_kapita,log_pengeluaran_expected,is_poor",
    "verivali": "file,row_number,is_true_claim",
    "problems": "problem,file,column,documented_rate,injected_count,eligible_count",
}


@pytest.fixture(scope="module")
def village_codes() -> set[str]:
    return set(load_reference().villages["kode_desa"].astype(str))


def test_exactly_the_files_of_the_contract(default_drop):
    found = {p.relative_to(default_drop.root).as_posix() for p in default_drop.root.rglob("*") if p.is_file()}
    drop_files = {f for f in found if not f.startswith("truth/")}
    expected = {f.path for f in SOURCE_FILES if not f.many_files}
    verivali = {f for f in drop_files if f.startswith("verivali/")}
    assert drop_files - verivali == expected
    assert len(verivali) >= 2 and all(re.fullmatch(r"verivali/musdes_\d{4}_\d{2}\.csv", f) for f in verivali)
    assert {f"truth/{n}.csv" for n in TRUTH_HEADERS} | {"truth/summary.json"} == {f for f in found if f.startswith("truth/")}


@pytest.mark.parametrize("source_file", SOURCE_FILES, ids=lambda f: f.key)
def test_header_has_exactly_the_contract_columns(default_drop, source_file):
    paths = sorted(default_drop.root.glob(source_file.path))
    assert paths
    for path in paths:
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        raw.decode("utf-8")
        header = next(csv.reader([raw.split(b"\n", 1)[0].decode()], delimiter=source_file.delimiter))
        assert sorted(header) == sorted(source_file.columns), path
        # Every line has as many fields as the header, with the contract's delimiter.
        with path.open(newline="", encoding="utf-8") as handle:
            widths = {len(row) for row in csv.reader(handle, delimiter=source_file.delimiter)}
        assert widths == {len(source_file.columns)}, path


def test_some_files_come_with_shuffled_columns_but_registries_in_contract_order(default_drop):
    orders = {f.key: list(default_drop.file(f.key).columns[:len(f.columns)]) for f in SOURCE_FILES
              if not f.many_files}
    assert orders["dukcapil_penduduk"] == list(SOURCE_FILES_BY_KEY["dukcapil_penduduk"].columns)
    assert any(orders[k] != list(SOURCE_FILES_BY_KEY[k].columns) for k in orders)


def test_truth_headers(default_drop):
    for name, header in TRUTH_HEADERS.items():
        assert (default_drop.root / "truth" / f"{name}.csv").read_text().split("\n", 1)[0] == header


def test_dukcapil_identifiers_and_formats(default_drop, village_codes):
    penduduk = default_drop.file("dukcapil_penduduk")
    assert len(penduduk) == default_drop.summary["persons"] == 6_000
    assert penduduk["NIK"].str.fullmatch(SIXTEEN_DIGITS).all()
    assert penduduk["NIK"].is_unique
    assert penduduk["NO_KK"].str.fullmatch(SIXTEEN_DIGITS).all()
    assert set(penduduk["KODE_DESA"]) <= village_codes
    assert set(penduduk["JENIS_KLMIN"]) == {"LAKI-LAKI", "PEREMPUAN"}
    assert set(penduduk["STAT_HBKEL"]) <= {"KEPALA KELUARGA", "SUAMI", "ISTRI", "ANAK", "MENANTU", "CUCU",
                                           "ORANG TUA", "MERTUA", "FAMILI LAIN", "PEMBANTU", "LAINNYA"}
    assert pd.to_datetime(penduduk["TGL_LHR"], format="%Y-%m-%d", errors="coerce").notna().all()
    dead = penduduk["STATUS"] == "MENINGGAL"
    assert set(penduduk["STATUS"]) == {"HIDUP", "MENINGGAL"}
    assert pd.to_datetime(penduduk.loc[dead, "TGL_MENINGGAL"], format="%Y-%m-%d", errors="coerce").notna().all()
    assert (penduduk.loc[~dead, "TGL_MENINGGAL"] == "").all()
    assert penduduk["RT"].str.fullmatch(r"\d{3}").all() and penduduk["RW"].str.fullmatch(r"\d{3}").all()
    # One head per family card.
    heads = penduduk[penduduk["STAT_HBKEL"] == "KEPALA KELUARGA"]
    assert heads["NO_KK"].is_unique and set(heads["NO_KK"]) == set(penduduk["NO_KK"])


def test_nik_and_no_kk_structure(default_drop):
    penduduk = default_drop.file("dukcapil_penduduk")
    nik = penduduk["NIK"]
    day = nik.str[6:8].astype(int)
    assert ((day % 40 >= 1) & (day % 40 <= 31) & ((day <= 31) | (day >= 41)) & (day <= 71)).all()
    assert nik.str[8:10].astype(int).between(1, 12).all()
    assert nik.str[12:16].astype(int).between(1, 9999).all()
    no_kk = penduduk["NO_KK"]
    assert no_kk.str[6:8].astype(int).between(1, 31).all() and no_kk.str[8:10].astype(int).between(1, 12).all()
    assert no_kk.str[12:16].astype(int).between(1, 9999).all()
    # A card belongs to the district of its family's village.
    assert (no_kk.str[:6] == penduduk["KODE_DESA"].str[:6]).mean() > 0.95
    # Women carry day + 40 (apart from the documented sex-digit mismatches).
    women = penduduk["JENIS_KLMIN"] == "PEREMPUAN"
    assert ((day > 40) == women).mean() > 0.99


def test_registry_formats_and_keys(default_drop, village_codes):
    dtks, art = default_drop.file("dtks_keluarga"), default_drop.file("dtks_art")
    assert dtks["ID_KELUARGA"].is_unique and art["ID_ART"].is_unique
    assert set(art["ID_KELUARGA"]) == set(dtks["ID_KELUARGA"])
    assert set(dtks["KODE_WILAYAH"].str.replace(".", "", regex=False)) <= village_codes
    assert dtks["KODE_WILAYAH"].str.fullmatch(r"\d{2}\.\d{2}\.\d{2}\.\d{4}").all()
    assert pd.to_datetime(dtks["TGL_UPDATE"], format="%d-%m-%Y", errors="coerce").notna().all()
    for column in ("PKH", "BPNT", "PBI_JK"):
        assert set(dtks[column]) <= {"0", "1"}
    assert set(art["STATUS_PADAN"]) == {"PADAN", "TIDAK PADAN"}

    p3ke, individu = default_drop.file("p3ke_keluarga"), default_drop.file("p3ke_individu")
    assert p3ke["ID_KELUARGA_P3KE"].is_unique and individu["ID_INDIVIDU"].is_unique
    assert set(individu["ID_KELUARGA_P3KE"]) == set(p3ke["ID_KELUARGA_P3KE"])
    assert set(p3ke["KODE_DESA"]) <= village_codes
    for column, width in (("KODE_PROVINSI", 2), ("KODE_KABUPATEN", 4), ("KODE_KECAMATAN", 6)):
        assert (p3ke[column] == p3ke["KODE_DESA"].str[:width]).all()
    assert set(p3ke["DESIL_P3KE"]) <= {"1", "2", "3", "4"}
    assert individu["USIA"].astype(int).between(0, 110).all()

    regsosek, anggota = default_drop.file("regsosek_keluarga"), default_drop.file("regsosek_individu")
    assert regsosek["ID_KELUARGA"].is_unique
    record_id = anggota["ID_KELUARGA"] + "-" + anggota["NO_ART"]
    assert record_id.is_unique
    assert set(regsosek["NO_KK"]) - {""} and regsosek["NO_KK"].str.fullmatch(r"(\d{16})?").all()
    assert set(regsosek["KODE_DESA"]) <= village_codes
    members = anggota.groupby("ID_KELUARGA").size()
    assert (regsosek.set_index("ID_KELUARGA")["JUMLAH_ART"].astype(int) == members).all()
    assert (anggota.groupby("ID_KELUARGA")["NO_ART"].apply(lambda s: sorted(s.astype(int)) == list(range(1, len(s) + 1)))).all()

    # Every record in truth, once; every source family in truth, once.
    records = default_drop.truth("source_records")
    assert len(records) == len(art) + len(individu) + len(anggota)
    assert not records.duplicated(["source", "source_record_id"]).any()
    families = default_drop.truth("source_families")
    assert len(families) == len(dtks) + len(p3ke) + len(regsosek)


def test_dates_in_their_formats_or_a_documented_problem(default_drop):
    for key, column, pattern in (("dtks_art", "TGL_LAHIR", r"\d{2}-\d{2}-\d{4}"),
                                 ("p3ke_individu", "TANGGAL_LAHIR", r"\d{4}-\d{2}-\d{2}"),
                                 ("regsosek_individu", "TGL_LAHIR", r"\d{4}-\d{2}-\d{2}")):
        values = default_drop.file(key)[column]
        assert values[values != ""].str.fullmatch(pattern).all(), key


def test_coded_columns_hold_codebook_codes_except_the_injected_violations(default_drop):
    checked = 0
    for source_file in SOURCE_FILES:
        if source_file.source in ("dukcapil", "verivali"):
            continue
        table = default_drop.file(source_file.key)
        for column in coded_columns(source_file.key):
            valid = valid_codes(source_file.source, column)
            values = table[column]
            if source_file.source == "p3ke":
                valid = {normalize_label(v) for v in valid}
                values = values.map(normalize_label)
            skipped = pd.Series(False, index=table.index)
            if column in SKIPS:
                gate, not_applicable = SKIPS[column]
                skipped = table[gate].isin(not_applicable)
                assert (values[skipped] == "").all(), (source_file.path, column)
            outside = (values != "") & ~values.isin(valid)
            empty = (values == "") & ~skipped
            assert outside.sum() == default_drop.injected("code_outside_codebook", source_file.path, column), \
                (source_file.path, column)
            assert empty.sum() == default_drop.injected("empty_cell", source_file.path, column), \
                (source_file.path, column)
            checked += 1
    assert checked > 60
    assert default_drop.injected("code_outside_codebook") > 0 and default_drop.injected("empty_cell") > 0


def test_susenas_is_a_weighted_household_sample(national_drop):
    susenas = national_drop.file("susenas_rumah_tangga")
    families = national_drop.summary["families"]
    assert susenas["ID_RT"].is_unique
    assert susenas["KODE_KAB"].str.fullmatch(r"\d{4}").all()
    assert 0.02 <= len(susenas) / families <= 0.035
    weights = susenas["BOBOT"].astype(float)
    assert (weights > 0).all()
    assert weights.sum() == pytest.approx(families, rel=0.12)   # about 700 households: 4% sd
    consumption = susenas["PENGELUARAN_KAPITA"].astype(float)
    assert consumption.between(50_000, 100_000_000).all()
    members = susenas["JUMLAH_ART"].astype(int)
    parts = susenas[["ART_BALITA", "ART_LANSIA"]].astype(int).sum(axis=1)
    assert (parts <= members).all() and (members >= 1).all()


def test_verivali_decisions(default_drop, village_codes):
    decisions = default_drop.file("verivali_musdes")
    assert set(decisions["AKSI"]) == {"MENINGGAL", "PINDAH", "MAMPU", "PERBAIKAN_NIK", "USULAN_BARU", "TETAP"}
    fix = decisions["AKSI"] == "PERBAIKAN_NIK"
    assert decisions.loc[fix, "NIK_BARU"].str.fullmatch(SIXTEEN_DIGITS).all()
    assert (decisions.loc[~fix, "NIK_BARU"] == "").all()
    assert set(decisions["KODE_DESA"]) <= village_codes
    assert pd.to_datetime(decisions["TGL_MUSDES"], format="%Y-%m-%d", errors="coerce").notna().all()
    assert (decisions["NO_BA"] != "").all() and (decisions["KETERANGAN"] != "").all()
    # One meeting per village: one date and one berita acara.
    assert (decisions.groupby("KODE_DESA")["TGL_MUSDES"].nunique() == 1).all()
    truth = default_drop.truth("verivali")
    assert len(truth) == len(decisions)
    merged = decisions.merge(truth, left_on=["_file", "_row"], right_on=["file", truth["row_number"].astype(int)])
    assert len(merged) == len(decisions)


def test_source_families_map_to_current_cards(default_drop):
    families = default_drop.truth("source_families")
    current = set(default_drop.truth("families")["no_kk"])
    assert families["no_kk_true"].isin(current).all()
    persons = default_drop.truth("persons")
    assert set(persons["family_key"]) == current and (persons["family_key"] == persons["no_kk"]).all()
    penduduk = default_drop.file("dukcapil_penduduk")
    assert (persons["nik"].to_numpy() == penduduk["NIK"].to_numpy()).all()
    assert np.array_equal(persons["no_kk"].to_numpy(), penduduk["NO_KK"].to_numpy())
