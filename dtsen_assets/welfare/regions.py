"""Region facts the PMT may use beside a family's own data: town or regency, provincial poverty.

Read from the shipped reference data (platform/reference.py; Kemendagri codes, see data/reference/README.md):
whether a kabupaten/kota is a kota (its name starts with "Kota "), its name, and the share of
people below the poverty line (BPS P0, March 2025, else March 2024) of its province. A region
missing from the reference (a drop with codes of its own) simply gets no value, and the feature
builder treats that like any other unknown value.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dtsen_assets.platform.reference import DATA_DIR


@dataclass(frozen=True)
class Regions:
    regency_name: dict[str, str]        # '3204' -> 'Kabupaten Bandung'
    regency_is_kota: dict[str, bool]
    province_name: dict[str, str]       # '32' -> 'Jawa Barat'
    province_p0: dict[str, float]       # '32' -> 0.0766 (share of persons)

    def is_kota(self, kode_kab: str) -> bool | None:
        """From the reference, else Kemendagri numbering (kota are numbered 71 and up)."""
        if kode_kab in self.regency_is_kota:
            return self.regency_is_kota[kode_kab]
        if len(kode_kab) == 4 and kode_kab.isdigit():
            return int(kode_kab[2:]) >= 71
        return None


@cache
def load_regions(reference_dir: str | None = None) -> Regions:
    base = Path(reference_dir) if reference_dir else DATA_DIR / "reference"
    regency_name: dict[str, str] = {}
    regency_is_kota: dict[str, bool] = {}
    province_name: dict[str, str] = {}
    province_p0: dict[str, float] = {}
    wilayah = base / "wilayah.csv"
    if wilayah.is_file():
        with wilayah.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                code = row["kode"].replace(".", "")
                if row["tingkat"] == "kabupaten_kota":
                    regency_name[code] = row["nama"]
                    regency_is_kota[code] = row["nama"].upper().startswith("KOTA ")
                elif row["tingkat"] == "provinsi":
                    province_name[code] = row["nama"]
    poverty = base / "kemiskinan_provinsi.csv"
    if poverty.is_file():
        with poverty.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                value = row.get("p0_persen_2025_03") or row.get("p0_persen_2024_03")
                if value:
                    province_p0[row["kode"]] = float(value) / 100.0
    return Regions(regency_name, regency_is_kota, province_name, province_p0)
