"""The Dinas Sosial report on hand-written tables: sections, per-regency files, and desil flows once a
finalized semester exists (none before)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from dtsen_assets.program.report import SECTIONS, ReportTables, gather, write_report
from dtsen_assets.staging.reference import load_wilayah
from tests.program.world import Member, World

TABLES = ReportTables(person="src.person", family="src.family", person_source="src.person_source", decile="src.decile",
                      person_record="src.person_record", final_decile="final.decile", final_person="final.person",
                      wilayah="src.wilayah")


@pytest.fixture
def world() -> World:
    world = World()
    world.family(2, [Member(40), Member(3)], dtks=(True, True, True))
    world.family(7, [Member(40)], dtks=(False, True, False), kode_desa="3273011001")
    _, persons = world.family(4, [Member(60)])
    world.decision(1, "mampu", "perlu_verifikasi_pmt", persons[0])
    world.build()
    load_wilayah(world.connection, target="src.wilayah")     # as the staging/wilayah asset loads it
    world.connection.execute("UPDATE src.wilayah SET nama = 'Kota Bandung Uji' WHERE kode = '3273'")
    return world


def test_report_has_every_section_and_files_per_regency(world, tmp_path):
    files = write_report(world.connection, tmp_path, {"run Dagster": "test"}, TABLES)
    page = files.html.read_text(encoding="utf-8")
    for section, title in SECTIONS.items():
        assert f"<section id='{section}'><h2>{title}</h2>" in page
    assert "desil 2: 2 orang" in page and "data:image/png;base64," in page
    # regions named as the warehouse's wilayah table names them (renamed there: not the shipped file's name)
    assert "<td>Kota Bandung Uji</td>" in page and "<td>Kabupaten Bandung</td>" in page
    assert "Belum ada semester" in page
    assert not re.search(r"\b\d{16}\b", page)
    assert sorted(p.name for p in (tmp_path / "kabupaten").iterdir()) == ["3204", "3273"]
    desil = pd.read_csv(tmp_path / "kabupaten" / "3273" / "3273_desil.csv", dtype={"kode_kab": str})
    assert desil.to_dict("records") == [{"kode_kab": "3273", "desil": 7, "orang": 1, "keluarga": 1}]
    try:
        sheets = pd.read_excel(tmp_path / "kabupaten" / "3204" / "laporan_3204.xlsx", sheet_name=None)
    except ImportError:       # no reader installed: the workbook must still be a zip of sheets
        import zipfile
        names = zipfile.ZipFile(tmp_path / "kabupaten" / "3204" / "laporan_3204.xlsx").namelist()
        assert any(n.startswith("xl/worksheets/") for n in names)
    else:
        assert {"desil", "kandidat", "penerima", "tugas", "padan", "kualitas"} <= set(sheets)
        assert sheets["tugas"]["jenis"].tolist() == ["mampu"]


def test_desil_flows_since_the_last_finalized_semester(world, tmp_path):
    c = world.connection
    c.execute("CREATE SCHEMA final")
    c.execute("CREATE TABLE final.person AS SELECT '2026-S1' AS semester, * FROM src.person")
    # last semester every family was one desil poorer
    c.execute("CREATE TABLE final.decile AS SELECT '2026-S1' AS semester, family_id, desil - 1 AS desil FROM src.decile")
    write_report(c, tmp_path, {"run Dagster": "test"}, TABLES)
    page = (tmp_path / "laporan_dinsos.html").read_text(encoding="utf-8")
    flows = page[page.index("<section id='perpindahan'>"):]
    assert "Belum ada semester" not in flows and "data:image/png;base64," in flows
    frames = gather(c, TABLES)
    assert frames["semester_lalu"] == "2026-S1"
    moved = frames["perpindahan"].groupby(["desil_lama", "desil_baru"])["orang"].sum().to_dict()
    assert moved == {(1, 2): 2, (3, 4): 1, (6, 7): 1}


def test_regency_files_are_written_as_pandas_writes_them(tmp_path):
    """The CSV writer of the report (rows split once, written with the csv module) gives the bytes of
    pandas' to_csv: missing values empty, floats as they are, midnight date-times as dates."""
    from dtsen_assets.program.report import _Section, write_csv, write_workbook

    frame = pd.DataFrame({
        "kode_kab": ["3204", "3273", "3204"],
        "tugas": [1, 2, 3],
        "persen": [12.5, float("nan"), 0.1],
        "jenis": ["mampu", None, "sanggah"],
        "sejak": pd.to_datetime(["2025-09-15", None, "2025-10-26"]),
        "jam": pd.to_datetime(["2025-09-15 10:30", "2025-09-16 00:00", None]),
    })
    section = _Section.of(frame)
    for kode_kab in ("3204", "3273"):
        write_csv(tmp_path / f"{kode_kab}.csv", section.columns, section.rows_of(kode_kab))
        expected = frame[frame["kode_kab"] == kode_kab].to_csv(index=False)
        assert (tmp_path / f"{kode_kab}.csv").read_text(encoding="utf-8") == expected
    assert section.rows_of("9999") == []
    write_workbook(tmp_path / "laporan.xlsx", {"tugas": (section.columns, section.rows_of("3204"))})
    import zipfile
    names = zipfile.ZipFile(tmp_path / "laporan.xlsx").namelist()
    assert "xl/worksheets/sheet1.xml" in names
