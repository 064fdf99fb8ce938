"""The reference data shipped with the package: the codebook and the region lists.

The files live in the repository's `data/` folder (`data/codebook.csv`, `data/reference/*.csv`,
see data/reference/README.md). `dtsen_assets/data` is a link to that folder, and the build ships
the files through it as package data, so an installed wheel finds them at the same place as a
checkout does: `<package>/data/<name>`. Everything that reads reference data gets its path here.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from pathlib import Path

# A real folder in a checkout and in an installed wheel (DuckDB's read_csv needs a file path).
DATA_DIR = Path(str(resources.files("dtsen_assets").joinpath("data")))
CODEBOOK_PATH = DATA_DIR / "codebook.csv"
WILAYAH_PATH = DATA_DIR / "reference" / "wilayah.csv"
POVERTY_PATH = DATA_DIR / "reference" / "kemiskinan_provinsi.csv"
POPULATION_PATH = DATA_DIR / "reference" / "penduduk_wilayah.csv"


def reference_path(name: str) -> Path:
    """The shipped file `name`, relative to the data folder (`"codebook.csv"`, `"reference/wilayah.csv"`)."""
    return DATA_DIR / name


def province_poverty() -> dict[str, float]:
    """Share of persons below the poverty line per province code ('32' -> 0.0766): BPS P0 of
    March 2025, else March 2024 (kemiskinan_provinsi.csv), in the file's order."""
    return dict(_province_poverty())


@cache
def _province_poverty() -> tuple[tuple[str, float], ...]:
    shares = []
    with POVERTY_PATH.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            value = row.get("p0_persen_2025_03") or row.get("p0_persen_2024_03")
            if value:
                shares.append((row["kode"], float(value) / 100.0))
    return tuple(shares)
