"""Region facts the PMT may use beside a family's own data: town or regency, provincial poverty.

The names and codes of provinces and kabupaten/kota come from the warehouse table staging.wilayah
(the staging/wilayah asset, today's Kemendagri codes), read through the connection a welfare step is
given, so the lineage runs through the asset graph: whether a kabupaten/kota is a kota (its name starts
with "Kota "), and its name. The share of people below the poverty line (BPS P0, March 2025, else March
2024) of each province is shipped reference data (platform/reference.py). A region missing from
staging.wilayah (a drop with codes of its own) simply gets no value, and the feature builder treats
that like any other unknown value.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from dtsen_assets.platform.reference import province_poverty
from dtsen_assets.platform.sql import query_df
from dtsen_assets.staging.reference import WILAYAH_TABLE
from dtsen_assets.warehouse import table_exists


@dataclass(frozen=True)
class Regions:
    regency_name: dict[str, str]        # '3204' -> 'Kabupaten Bandung'
    regency_is_kota: dict[str, bool]
    province_name: dict[str, str]       # '32' -> 'Jawa Barat'
    province_p0: dict[str, float]       # '32' -> 0.0766 (share of persons)

    def is_kota(self, kode_kab: str) -> bool | None:
        """From staging.wilayah, else Kemendagri numbering (kota are numbered 71 and up)."""
        if kode_kab in self.regency_is_kota:
            return self.regency_is_kota[kode_kab]
        if len(kode_kab) == 4 and kode_kab.isdigit():
            return int(kode_kab[2:]) >= 71
        return None


class RegionsMissing(LookupError):
    """The warehouse has no staging.wilayah yet: the staging/wilayah asset must be materialized first."""


def load_regions(connection: duckdb.DuckDBPyConnection, wilayah: str = WILAYAH_TABLE) -> Regions:
    """The provinces and kabupaten/kota of the table `wilayah` (staging.wilayah), with provincial poverty."""
    if not table_exists(connection, wilayah):
        raise RegionsMissing(f"{wilayah} does not exist: materialize the staging/wilayah asset first "
                             "(welfare reads the region names and codes from it)")
    frame = query_df(connection, "welfare/regions", wilayah=wilayah)
    regencies = frame[frame["tingkat"] == "kabupaten_kota"]
    provinces = frame[frame["tingkat"] == "provinsi"]
    regency_name = dict(zip(regencies["kode"], regencies["nama"]))
    regency_is_kota = {code: name.upper().startswith("KOTA ") for code, name in regency_name.items()}
    province_name = dict(zip(provinces["kode"], provinces["nama"]))
    return Regions(regency_name, regency_is_kota, province_name, province_poverty())
