"""The Dagster UI in a real browser: Playwright driving Debian's headless Chromium against a
dagster-webserver the tests start (temporary DAGSTER_HOME, the hand-written tiny drop, a free
loopback port). Open the asset graph, materialize from the UI, read an asset's metadata and its
masked preview, and see a blocking check fail on a bad file with every failing check listed.

Screenshots go to test-artifacts/ui/ (git-ignored). Every process started here (the webserver,
its code server and the runs it launches, all in one process group) is stopped at the end.
Chromium comes from the distribution (`scripts/setup.sh` installs it); Playwright's own browser
download is never used.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dtsen_assets.platform.event_log import instance_yaml
from tests.fixtures.tiny_drop import write_tiny_drop
from tests.test_broken_deliveries import append, duplicate_id

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "ui"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
STARTUP_SECONDS = 300     # loading the code location on a busy 2-core machine
RUN_SECONDS = 300

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def living_members(group: int) -> list[int]:
    """Processes of a process group that are still running (zombies, already dead, do not count)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _stop(process: subprocess.Popen) -> None:
    """Stop the webserver's whole process group (its code server, the runs it launched): TERM, then KILL."""
    group = process.pid      # start_new_session: the webserver leads its own group
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            process.poll()
            if not living_members(group):
                break
            time.sleep(0.5)
        if not living_members(group):
            break
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("ui")
    drop = write_tiny_drop(work / "drop")
    home = work / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n"
        "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: DefaultRunCoordinator\n"
        + instance_yaml(home))
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "DTSEN_SOURCE_DIR": str(drop),
           "DTSEN_DUCKDB_PATH": str(work / "warehouse.duckdb")}
    log = (work / "webserver.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-m", "dtsen_assets.definitions",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(base + "/server_info", timeout=5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("dagster-webserver did not start: " + (work / "webserver.log").read_text()[-2000:])
                time.sleep(1)
        # the community sign-up dialog would cover the page: mark it seen, as its "Skip" button does
        request = urllib.request.Request(base + "/graphql", data=b'{"query": "mutation { setNuxSeen }"}',
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30):
            pass
        yield {"base": base, "drop": drop, "process": process}
    finally:
        _stop(process)
        log.close()
    assert living_members(process.pid) == []     # nothing the tests started is left running


@pytest.fixture(scope="module")
def page(dagster_ui):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(120_000)
            yield context.new_page()
        finally:
            browser.close()


def _open(page, base: str, path: str) -> None:
    page.goto(base + path, wait_until="domcontentloaded")


def _materialize_asset(page, base: str, asset_path: str) -> None:
    _open(page, base, f"/assets/{asset_path}")
    page.locator("button", has_text="Materialize").first.click()
    page.get_by_text("Launched run", exact=False).or_(page.get_by_text("View run", exact=False)).first.wait_for()


def _graphql(base: str, query: str) -> dict:
    request = urllib.request.Request(base + "/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def _wait_for_run(base: str, expected: str) -> str:
    """Wait until the latest run has finished; it must have ended `expected` (SUCCESS / FAILURE). Its id."""
    deadline = time.monotonic() + RUN_SECONDS
    while time.monotonic() < deadline:
        runs = _graphql(base, "{ runsOrError(limit: 1) { ... on Runs { results { runId status } } } }")
        results = runs["runsOrError"]["results"]
        if results and results[0]["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            assert results[0]["status"] == expected
            return results[0]["runId"]
        time.sleep(2)
    raise AssertionError(f"the run did not finish within {RUN_SECONDS} s")


def _check_statuses(body: str) -> dict[str, str]:
    """check name -> status, from the Checks tab's list (each entry: name, name, status)."""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    return {lines[i]: lines[i + 2] for i in range(len(lines) - 2)
            if lines[i] == lines[i + 1] and lines[i + 2] in ("Failed", "Succeeded", "Skipped", "Not evaluated")}


def test_the_asset_graph_shows_every_group(page, dagster_ui) -> None:
    _open(page, dagster_ui["base"], "/asset-groups")
    page.get_by_text("Materialize all").first.wait_for()
    for group in ("sources", "staging", "unify", "welfare", "audit"):
        page.get_by_text(group, exact=True).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "01_asset_graph.png"))


def test_materialize_from_the_ui_then_read_metadata_and_the_masked_preview(page, dagster_ui) -> None:
    base = dagster_ui["base"]
    _materialize_asset(page, base, "raw/dukcapil_penduduk")
    page.screenshot(path=str(ARTIFACTS / "02_materialize_launched.png"))
    _wait_for_run(base, "SUCCESS")
    _open(page, base, "/assets/raw/dukcapil_penduduk")
    page.get_by_text("Row count").first.wait_for()
    page.get_by_text("dtsen/git_commit").first.wait_for()
    # column descriptions (column_docs.py) in the Columns section
    page.get_by_text("The source file the row was read from.").first.wait_for()
    page.get_by_text("Columns", exact=True).first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "03_metadata_and_columns.png"))
    # the masked preview, rendered as Markdown in a dialog
    preview = page.locator("tr", has_text="preview").first
    preview.scroll_into_view_if_needed()
    preview.get_by_text("Show Markdown").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("NAMA_LGKP").first.wait_for()
    text = dialog.inner_text()
    assert "3204********0002" in text                  # a masked NIK, rendered as it is
    assert "****-**-**" in text                        # a masked birth date, not eaten by Markdown
    assert dialog.locator("em").count() == 0
    assert "3204105508800002" not in page.content()    # never the NIK in the clear
    page.screenshot(path=str(ARTIFACTS / "04_masked_preview.png"))
    page.keyboard.press("Escape")


def test_a_bad_file_fails_its_blocking_checks_and_lists_every_one(page, dagster_ui) -> None:
    base, drop = dagster_ui["base"], dagster_ui["drop"]
    duplicate_id(drop)       # an ID_ART twice
    # and a row with too many fields
    append("dtks/art.csv", "ART-0009;DTKS-0001;3204101203780001;AHMAD SOLEH;12-03-1978;1;1;PADAN;0;X;Y\r\n")(drop)

    _materialize_asset(page, base, "raw/dtks_art")
    run_id = _wait_for_run(base, "FAILURE")
    _open(page, base, f"/runs/{run_id}")
    page.get_by_text("2 blocking check(s) failed", exact=False).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "05_failed_run.png"))

    _open(page, base, "/assets/raw/dtks_art?view=checks")
    page.get_by_text("rows_well_formed").first.wait_for()
    page.get_by_text("record_id_unique").first.wait_for()
    page.get_by_text("Failed", exact=True).first.wait_for()
    status = _check_statuses(page.inner_text("body"))
    assert status["rows_well_formed"] == "Failed" and status["record_id_unique"] == "Failed"
    assert status["encoding_utf8"] == "Succeeded"
    page.screenshot(path=str(ARTIFACTS / "06_failed_checks.png"))


def test_after_the_failed_run_a_contract_asset_says_what_stays_published(page, dagster_ui) -> None:
    """The failed run of the previous test published nothing: dtsen/person says so (release_state.py)."""
    base = dagster_ui["base"]
    runs = _graphql(base, "{ runsOrError(limit: 1) { ... on Runs { results { runId status } } } }")
    run_id = runs["runsOrError"]["results"][0]["runId"]
    expected = f"nothing released yet (run {run_id} failed at step raw__dtks_art)"
    _open(page, base, "/assets/dtsen/person?view=events")
    page.get_by_text(expected, exact=False).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "07_published_state_after_failure.png"))
    observed = _graphql(base, '{ assetOrError(assetKey: {path: ["dtsen", "person"]}) { ... on Asset { '
                              'assetObservations(limit: 1) { runId description metadataEntries { label '
                              '... on TextMetadataEntry { text } } } } } }')
    latest = observed["assetOrError"]["assetObservations"][0]
    assert latest["description"] == f"published: {expected}"
    assert {e["label"]: e.get("text") for e in latest["metadataEntries"]}["failed_steps"] == "raw__dtks_art"
