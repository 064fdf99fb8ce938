"""The program stage on a generated drop, built by the project's own assets: program.kandidat agrees
with welfare.decile and dtsen.family (no `layak` row outside its rule, none missing), the recipient
comparison is printed, and the Dinas Sosial report opens in a real browser (headless Chromium)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import dagster as dg
import pytest

from dtsen_assets.definitions import build_assets
from dtsen_assets.program.build import recipient_summary
from dtsen_assets.program.report import SECTIONS
from dtsen_assets.resources import DuckDBWarehouse, ModelStore, ReportsDirectory, SourceDrop

AS_OF = "2026-12-01"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"      # git-ignored
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    """12,000 persons (a SUSENAS sample large enough for the PMT), built from the drop to the report."""
    from dtsen_assets.synth import generate_drop

    root = tmp_path_factory.mktemp("program_drop")
    drop = root / "drop"
    generate_drop(drop, persons=12000, seed=5)
    database = root / "warehouse.duckdb"
    result = dg.materialize(
        build_assets,
        resources={"source_drop": SourceDrop(source_dir=str(drop)), "warehouse": DuckDBWarehouse(database_path=str(database)), "model_store": ModelStore(),
                   "reports": ReportsDirectory(path=str(root / "laporan"))},
        run_config={"ops": {"program_tables": {"config": {"as_of_date": AS_OF}}}},
    )
    assert result.success
    return result, database, root


def connect(database: Path):
    return DuckDBWarehouse(database_path=str(database)).connect(read_only=True)


# Independently of the SQL of the stage: who may be layak, from the published tables.
RULE_VIOLATIONS = f"""
WITH person_facts AS (
    SELECT p.person_id, p.family_id, date_sub('year', p.tgl_lahir, DATE '{AS_OF}') AS umur,
           coalesce(bool_or(r.disabilitas = 'ya'), false) AS disabilitas,
           coalesce(bool_or(r.status_bekerja = 'bekerja'), false) AS bekerja
    FROM dtsen.person p
    LEFT JOIN dtsen.person_source ps USING (person_id)
    LEFT JOIN staging.person_record r ON r.source = ps.source AND r.source_record_id = ps.source_record_id
    WHERE p.is_active GROUP BY ALL
), pkh_family AS (
    SELECT DISTINCT family_id FROM person_facts
    WHERE umur < 6 OR (umur BETWEEN 6 AND 21 AND NOT bekerja) OR umur >= 60 OR disabilitas
)
SELECT k.program, k.family_id FROM program.kandidat k
JOIN dtsen.family f USING (family_id)
JOIN welfare.decile d USING (family_id)
LEFT JOIN person_facts pf ON pf.person_id = k.person_id
WHERE k.status = 'layak' AND (
       d.desil > 4 OR k.desil <> d.desil
    OR (k.program = 'PKH' AND k.family_id NOT IN (SELECT family_id FROM pkh_family))
    OR (k.program IN ('PBI_JK', 'KIP_KULIAH') AND (pf.person_id IS NULL OR pf.family_id <> k.family_id))
    OR (k.program = 'KIP_KULIAH' AND NOT (pf.umur BETWEEN 18 AND 24))
    OR (k.program IN ('PKH', 'BPNT') AND k.person_id IS NOT NULL))
"""


def test_no_layak_candidate_outside_its_rule_and_none_missing(built):
    _, database, _ = built
    with connect(database) as connection:
        assert connection.execute(f"SELECT count(*) FROM ({RULE_VIOLATIONS})").fetchone()[0] == 0
        counts = dict(connection.execute("SELECT program || ':' || status, count(*) FROM program.kandidat GROUP BY 1").fetchall())
        assert counts["BPNT:layak"] > 100 and counts["PKH:layak"] > 50 and counts["KIP_KULIAH:layak"] > 10
        # every scored family of desil 1-4 that no village meeting held is a layak BPNT candidate
        missing = connection.execute("""
            SELECT count(*) FROM welfare.decile d JOIN dtsen.family f USING (family_id)
            WHERE d.desil <= 4 AND family_id NOT IN (SELECT family_id FROM program.kandidat WHERE program = 'BPNT')""").fetchone()[0]
        assert missing == 0
        # PBI-JK: every active member of a desil 1-5 family, once
        pbi, members = connection.execute("""
            SELECT (SELECT count(*) FROM program.kandidat WHERE program = 'PBI_JK'),
                   (SELECT count(*) FROM dtsen.person p JOIN welfare.decile d USING (family_id) WHERE p.is_active AND d.desil <= 5)
        """).fetchone()
        assert pbi <= members and pbi >= members - 50   # only MAMPU-confirmed families fall out
        ditunda_without_claim = connection.execute("""
            SELECT count(*) FROM program.kandidat k WHERE status = 'ditunda' AND family_id NOT IN (
                SELECT family_id FROM program.tugas_verifikasi WHERE jenis = 'mampu' AND family_id IS NOT NULL)""").fetchone()[0]
        assert ditunda_without_claim == 0


def test_recipient_comparison_is_measured_and_printed(built):
    _, database, _ = built
    with connect(database) as connection:
        summary = recipient_summary(connection)
        flags = connection.execute("SELECT sum(pkh::INT), sum(bpnt::INT), sum(pbi_jk::INT) FROM staging.family_record "
                                   "WHERE source = 'dtks'").fetchone()
    print("\nRecipient comparison (DTKS flags against program.kandidat), generated drop of 12,000 persons:")
    print(summary.to_string(index=False))
    assert list(summary["program"]) == ["BPNT", "PBI_JK", "PKH"]
    assert list(summary.set_index("program").loc[["PKH", "BPNT", "PBI_JK"], "penerima"]) == list(flags)
    assert summary["inclusion_error_pct"].between(0, 100).all() and summary["exclusion_error_pct"].between(0, 100).all()
    assert (summary["tetap_layak"] > 0).all() and (summary["keluar_desil_tinggi"] > 0).all()


def test_every_decision_and_claim_is_in_the_worklist(built):
    _, database, _ = built
    with connect(database) as connection:
        decisions = connection.execute("SELECT count(*) FROM unify.verivali_outcome").fetchone()[0]
        states = dict(connection.execute("SELECT status, count(*) FROM program.tugas_verifikasi GROUP BY 1").fetchall())
        tasks = connection.execute("SELECT count(*) FROM program.tugas_verifikasi WHERE sumber = 'verivali'").fetchone()[0]
        objections = connection.execute("SELECT count(*) FROM raw.cekbansos_sanggah").fetchone()[0]
        proposals = connection.execute("SELECT count(*), count(*) FILTER (WHERE terdaftar) FROM program.usulan").fetchone()
    assert tasks == decisions > 0 and objections > 0 and proposals[0] > 0 and 0 < proposals[1] < proposals[0]
    assert {"diterapkan", "menunggu_cek_lapangan", "menunggu_registrasi"} <= set(states)


def test_no_personal_data_in_the_program_metadata(built):
    result, _, _ = built
    text = " ".join(str(v.value) for m in result.get_asset_materialization_events()
                    for v in m.materialization.metadata.values()
                    if m.materialization.asset_key.path[0] == "program")
    assert not re.search(r"\b\d{16}\b", text)
    assert "Saya" not in text     # Cek Bansos free text never shown


def test_the_report_opens_in_a_real_browser_and_shows_every_section(built):
    result, _, root = built
    materialization = next(m.materialization for m in result.get_asset_materialization_events()
                           if m.materialization.asset_key.path == ["program", "laporan_dinsos"])
    page_path = Path(materialization.metadata["laporan"].value)
    assert page_path.is_file() and page_path.is_relative_to(root / "laporan")
    assert materialization.metadata["laporan_url"].value == page_path.as_uri()
    html = page_path.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html          # self-contained
    assert not re.search(r"\b\d{16}\b", html)                          # counts only, no NIK or NO_KK
    regencies = sorted((page_path.parent / "kabupaten").iterdir())
    assert regencies and all((r / f"laporan_{r.name}.xlsx").is_file() and (r / f"{r.name}_desil.csv").is_file()
                             for r in regencies)

    if not Path(CHROMIUM).exists():
        pytest.skip("no /usr/bin/chromium (scripts/setup.sh installs it as root)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "laporan_dinsos.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(page_path.as_uri())
            assert page.title() == "Laporan DTSEN untuk Dinas Sosial"
            for section, title in SECTIONS.items():
                locator = page.locator(f"section#{section}")
                assert locator.is_visible(), section
                assert locator.locator("h2").inner_text() == title
                assert locator.locator("table, p, dl").count() > 0, section
            # the plots decoded: a PNG of real size
            widths = page.eval_on_selector_all("img", "images => images.map(i => i.naturalWidth)")
            assert widths and all(w > 200 for w in widths)
            assert "desil 1:" in page.locator("section#desil").inner_text()
            assert "Belum ada semester" in page.locator("section#perpindahan").inner_text()
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 20_000
    shutil.copy(page_path, ARTIFACTS / "laporan_dinsos.html")
