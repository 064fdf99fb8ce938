"""The package works from its wheel, installed outside the checkout (reference data is package data).

The wheel is built offline from a copy of the sources (the checkout stays clean) with the project's
own setuptools; a fresh virtual environment gets it without dependencies and sees the project's
.venv site-packages for those (a .pth line, so none of that folder's .pth files, e.g. the editable
install of the checkout, run). Python then starts isolated (-I: no PYTHONPATH, no cwd) in a temp folder.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import sys
from pathlib import Path
import duckdb
import dtsen_assets
from dtsen_assets.definitions import defs
from dtsen_assets.platform import reference, sql
from dtsen_assets.staging.reference import load_codebook, load_wilayah

package = Path(dtsen_assets.__file__).resolve().parent
assert package.is_relative_to(Path(sys.prefix).resolve()), package
assert reference.CODEBOOK_PATH.resolve().is_relative_to(package), reference.CODEBOOK_PATH
connection = duckdb.connect()
connection.execute("CREATE SCHEMA staging")
load_codebook(connection)
load_wilayah(connection)
print("assets", len(list(defs.resolve_asset_graph().get_all_asset_keys())))
print("codebook", sql.count_rows(connection, "staging.codebook"))
print("wilayah", sql.count_rows(connection, "staging.wilayah"))
"""


def _copy_sources(target: Path) -> None:
    """What a build of the checkout reads: pyproject.toml, the package, the shipped data files."""
    target.mkdir()
    shutil.copy2(ROOT / "pyproject.toml", target)
    shutil.copytree(ROOT / "dtsen_assets", target / "dtsen_assets", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (target / "data").mkdir()
    shutil.copy2(ROOT / "data" / "codebook.csv", target / "data")
    shutil.copytree(ROOT / "data" / "reference", target / "data" / "reference")


def test_wheel_installed_outside_the_checkout_loads_definitions_and_reference_data(tmp_path: Path) -> None:
    sources, dist, environment, elsewhere = (tmp_path / name for name in ("src", "dist", "env", "cwd"))
    _copy_sources(sources)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "--quiet", "--disable-pip-version-check", "-w", str(dist), str(sources)],
                   check=True, capture_output=True, timeout=600)
    wheel, = dist.glob("dtsen_assets-*.whl")

    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"
    site_packages = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    (site_packages / "project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    uv = Path(sys.executable).with_name("uv")
    subprocess.run([str(uv), "pip", "install", "--offline", "--no-deps", "--quiet", "--python", str(python), str(wheel)],
                   check=True, capture_output=True, timeout=300)

    elsewhere.mkdir()
    result = subprocess.run([str(python), "-I", "-c", CHECK], cwd=elsewhere, capture_output=True, text=True,
                            timeout=600, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-3000:]
    figures = dict(line.split() for line in result.stdout.splitlines() if line.split()[0] in
                   ("assets", "codebook", "wilayah"))
    assert int(figures["assets"]) > 20
    assert int(figures["codebook"]) == _data_rows(ROOT / "data" / "codebook.csv")
    assert int(figures["wilayah"]) == _data_rows(ROOT / "data" / "reference" / "wilayah.csv")


def _data_rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))
