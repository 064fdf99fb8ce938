"""The reference data the world is built on: real region codes, population and poverty.

Read from the shipped reference data (`data/reference/*.csv`, `data/codebook.csv`; located by
platform/reference.py); a different folder can be given for tests. Codes are held as integers: a village `PP.KK.CC.DDDD`
is `PPKKCCDDDD`, its district `PPKKCC`, its regency `PPKK`, its province `PP`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from dtsen_assets.platform.reference import DATA_DIR

# Regency codes before the 2022 split of Papua (Papua 91 and Papua Barat 92 gave regencies to the
# new provinces 93-96). NIKs issued before the split keep these prefixes, which no longer exist.
PAPUA_OLD_REGENCY: dict[int, int] = {
    9301: 9101, 9302: 9116, 9303: 9117, 9304: 9118,
    9401: 9104, 9402: 9108, 9403: 9107, 9404: 9109, 9405: 9125, 9406: 9126, 9407: 9127, 9408: 9128,
    9501: 9102, 9502: 9112, 9503: 9113, 9504: 9114, 9505: 9121, 9506: 9122, 9507: 9123, 9508: 9124,
    9601: 9201, 9602: 9204, 9603: 9205, 9604: 9209, 9605: 9210, 9671: 9271,
}


@dataclass(frozen=True)
class Reference:
    villages: pd.DataFrame     # kode_desa, kode_kec, kode_kab, kode_prov, is_kelurahan, nama
    regencies: pd.DataFrame    # kode_kab, kode_prov, nama, nama_pendek, population, is_kota, n_villages
    provinces: pd.DataFrame    # kode_prov, nama, population, p0 (share, March 2025 else 2024)
    district_codes: np.ndarray  # sorted current PPKKCC codes
    codebook: pd.DataFrame


@lru_cache(maxsize=4)
def load_reference(data_dir: Path | str | None = None) -> Reference:
    base = Path(data_dir) if data_dir is not None else DATA_DIR
    wilayah = pd.read_csv(base / "reference" / "wilayah.csv", dtype=str)
    penduduk = pd.read_csv(base / "reference" / "penduduk_wilayah.csv", dtype={"kode": str})
    kemiskinan = pd.read_csv(base / "reference" / "kemiskinan_provinsi.csv", dtype={"kode": str})
    codebook = pd.read_csv(base / "codebook.csv", dtype=str, keep_default_na=False)

    desa = wilayah[wilayah["tingkat"] == "desa_kelurahan"]
    kode = desa["kode"].str.replace(".", "", regex=False).astype(np.int64).to_numpy()
    villages = pd.DataFrame({
        "kode_desa": kode,
        "kode_kec": kode // 10_000,
        "kode_kab": kode // 1_000_000,
        "kode_prov": kode // 100_000_000,
        # the first digit of the 4-digit village part: 1 kelurahan (urban), 2 desa, 3 desa adat
        "is_kelurahan": (kode % 10_000) // 1000 == 1,
        "nama": desa["nama"].str.upper().to_numpy(),
    }).sort_values("kode_desa", ignore_index=True)

    kab = wilayah[wilayah["tingkat"] == "kabupaten_kota"]
    regencies = pd.DataFrame({
        "kode_kab": kab["kode"].str.replace(".", "", regex=False).astype(np.int64).to_numpy(),
        "nama": kab["nama"].str.upper().to_numpy(),
    })
    regencies["kode_prov"] = regencies["kode_kab"] // 100
    regencies["is_kota"] = regencies["nama"].str.startswith("KOTA ")
    regencies["nama_pendek"] = regencies["nama"].str.replace(r"^(KABUPATEN|KOTA) ", "", regex=True)
    pop_kab = penduduk[penduduk["kode"].str.len() == 5]
    pop_kab = pd.Series(pop_kab["total"].to_numpy(np.int64),
                        index=pop_kab["kode"].str.replace(".", "", regex=False).astype(np.int64))
    regencies["population"] = regencies["kode_kab"].map(pop_kab)
    if regencies["population"].isna().any():
        missing = regencies.loc[regencies["population"].isna(), "kode_kab"].tolist()[:5]
        raise ValueError(f"penduduk_wilayah.csv lacks the population of regencies {missing}")
    regencies["population"] = regencies["population"].astype(np.int64)
    regencies["n_villages"] = regencies["kode_kab"].map(villages.groupby("kode_kab").size()).fillna(0).astype(int)
    regencies = regencies[regencies["n_villages"] > 0].sort_values("kode_kab", ignore_index=True)

    p0 = pd.to_numeric(kemiskinan["p0_persen_2025_03"], errors="coerce").fillna(
        pd.to_numeric(kemiskinan["p0_persen_2024_03"], errors="coerce")) / 100.0
    provinces = pd.DataFrame({
        "kode_prov": kemiskinan["kode"].astype(np.int64).to_numpy(),
        "nama": kemiskinan["nama"].str.upper().to_numpy(),
        "p0": p0.to_numpy(),
    })
    provinces["population"] = provinces["kode_prov"].map(regencies.groupby("kode_prov")["population"].sum())
    if provinces[["p0", "population"]].isna().any().any():
        raise ValueError("kemiskinan_provinsi.csv and wilayah.csv disagree about the provinces")

    district_codes = np.sort(villages["kode_kec"].unique())
    return Reference(villages, regencies, provinces, district_codes, codebook)


def retired_district_code(kode_kec: np.ndarray, current_codes: np.ndarray) -> np.ndarray:
    """A district code that no longer exists, from before a region split, for each current district.

    Papua's new provinces get the real regency code from before the 2022 split. Elsewhere the
    district number is shifted out of today's range (+50), as for districts renumbered when a
    regency was split. The map is one-to-one, so NIKs built on it stay unique.
    """
    kode_kec = np.asarray(kode_kec, dtype=np.int64)
    regency = kode_kec // 100
    number = kode_kec % 100
    papua_old = pd.Series(PAPUA_OLD_REGENCY).reindex(regency).to_numpy()
    shifted = regency * 100 + number + 50
    retired = np.where(np.isnan(papua_old), shifted, np.nan_to_num(papua_old).astype(np.int64) * 100 + number)
    # A shift landing on a code in use (only where a regency has 50+ districts): use district 00,
    # which Kemendagri never assigns.
    clash = np.isin(retired, current_codes) | (number + 50 > 99) & np.isnan(papua_old)
    return np.where(clash, regency * 100, retired).astype(np.int64)
