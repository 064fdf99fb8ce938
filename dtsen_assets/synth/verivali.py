"""Village meeting decisions (musdes/muskel): claims about DTKS families, mostly true.

Each AKSI has a pool of true cases, and a decision about a case outside it is a wrong claim
(`ProblemRates.verivali_wrong_claim` of the decisions):

| AKSI | true when | a wrong claim is about |
|---|---|---|
| MENINGGAL | the DTKS member died (Dukcapil MENINGGAL) | a living member |
| PINDAH | the DTKS family moved village | a family that did not move |
| MAMPU | the family's true consumption is above the national 40th percentile (per person) | a family below it |
| PERBAIKAN_NIK | NIK_BARU is the member's NIK, and the DTKS NIK was wrong | a member whose DTKS NIK was right, "corrected" to a one-digit typo |
| USULAN_BARU | a family not in DTKS, below the 40th percentile | a family not in DTKS above it |
| TETAP | the DTKS family did not move and is below the 40th percentile | a family that moved or is above it |

How many decisions of each kind a meeting takes is `Coverage.verivali_*` of the pool it draws
from. A village holds one meeting; decisions are filed per month of meeting
(verivali/musdes_YYYY_MM.csv).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from dtsen_assets.synth.csvout import CsvSink
from dtsen_assets.synth.inject import BIT
from dtsen_assets.synth.render import Context, RegistryOutput

MEETING_PERIOD = (np.datetime64("2025-08-01"), np.datetime64("2025-12-20"))
WRONG_NIK = ("nik_too_short", "nik_too_long", "nik_all_zero", "nik_typo", "nik_ganda", "nik_empty")
KETERANGAN = {
    "MENINGGAL": ("Meninggal dunia", "Meninggal dunia, ada surat keterangan kematian dari desa"),
    "PINDAH": ("Pindah domisili ke desa lain", "Pindah, alamat baru belum diketahui"),
    "MAMPU": ("Sudah mampu", "Kondisi ekonomi membaik, rumah sudah permanen"),
    "PERBAIKAN_NIK": ("NIK disesuaikan dengan KTP-el", "Perbaikan NIK sesuai kartu keluarga"),
    "USULAN_BARU": ("Usulan keluarga miskin baru", "Belum terdata, layak menerima bantuan"),
    "TETAP": ("Tetap layak", "Masih layak, kondisi tidak berubah"),
}


def decisions(ctx: Context, dtks: RegistryOutput) -> pd.DataFrame:
    """The chunk's decisions: one row per decision with `is_true_claim`."""
    rng, fam, persons, coverage, rate = ctx.rng, ctx.fam, ctx.persons, ctx.coverage, ctx.rates.verivali_wrong_claim
    records = dtks.records
    p = records.person
    original = ~records.duplicate
    world_family = records.family_rows[records.family_row]
    is_head = (persons["relation"].to_numpy()[p] == 0) & original
    alive = persons["is_alive"].to_numpy()[p]
    moved = fam["moved"].to_numpy()[world_family]
    well_off = np.log(np.maximum(fam["pengeluaran_kapita"].to_numpy(), 1)) >= ctx.economy.log_consumption_p40
    wrong_nik = original & np.any([(dtks.problem_bits & BIT[name]) != 0 for name in WRONG_NIK], axis=0)
    right_nik = original & ((dtks.problem_bits & np.sum([BIT[n] for n in WRONG_NIK])) == 0)

    chosen: list[tuple[str, np.ndarray, np.ndarray]] = []   # (aksi, dtks record, is_true)

    def pick(aksi: str, true_pool: np.ndarray, false_pool: np.ndarray, base: int, share: float) -> None:
        count = int(rng.binomial(base, share)) if base else 0
        wrong = int(rng.binomial(count, rate)) if count else 0
        true_rows = rng.choice(true_pool, min(count - wrong, true_pool.size), replace=False)
        false_rows = rng.choice(false_pool, min(wrong, false_pool.size), replace=False)
        rows = np.r_[true_rows, false_rows].astype(np.int64)
        chosen.append((aksi, rows, np.r_[np.ones(true_rows.size, bool), np.zeros(false_rows.size, bool)]))

    dead_members = np.flatnonzero(original & ~alive)
    pick("MENINGGAL", dead_members, np.flatnonzero(original & alive), dead_members.size, coverage.verivali_meninggal)
    moved_heads = np.flatnonzero(is_head & moved)
    pick("PINDAH", moved_heads, np.flatnonzero(is_head & ~moved), moved_heads.size, coverage.verivali_pindah)
    heads = np.flatnonzero(is_head)
    pick("MAMPU", np.flatnonzero(is_head & well_off[world_family]), np.flatnonzero(is_head & ~well_off[world_family]),
         heads.size, coverage.verivali_mampu)
    pick("PERBAIKAN_NIK", np.flatnonzero(wrong_nik), np.flatnonzero(right_nik), int(wrong_nik.sum()),
         coverage.verivali_perbaikan_nik)
    still_eligible = is_head & ~moved & ~well_off[world_family]
    pick("TETAP", np.flatnonzero(still_eligible), np.flatnonzero(is_head & ~still_eligible), heads.size,
         coverage.verivali_tetap)

    nik_text = dtks.nik_text.to_numpy(zero_copy_only=False)
    name_text = dtks.name_text.to_numpy(zero_copy_only=False)
    no_kk_text = np.asarray(dtks.family_table["NO_KK"].to_numpy(zero_copy_only=False), dtype=object)
    true_nik = persons["nik"].to_numpy()
    frames = []
    for aksi, rows, is_true in chosen:
        if not rows.size:
            continue
        nik_baru = np.full(rows.size, None, dtype=object)
        if aksi == "PERBAIKAN_NIK":
            right = true_nik[p[rows]].astype(str)
            nik_baru = np.where(is_true, right, [_one_digit_off(s, u) for s, u in zip(right, rng.random(rows.size))])
        frames.append(pd.DataFrame({
            "KODE_DESA": fam["kode_desa_asal"].to_numpy()[world_family[rows]].astype(str),
            "NIK": nik_text[rows], "NO_KK": no_kk_text[records.family_row[rows]], "NAMA": name_text[rows],
            "AKSI": aksi, "NIK_BARU": nik_baru, "is_true_claim": is_true,
        }))

    # Families DTKS does not hold, proposed by their village (today's village and card).
    outside = np.flatnonzero(~fam["in_dtks"].to_numpy())
    count = int(rng.binomial(outside.size, coverage.verivali_usulan_baru)) if outside.size else 0
    wrong = int(rng.binomial(count, rate)) if count else 0
    poor_enough = outside[~well_off[outside]]
    better_off = outside[well_off[outside]]
    proposed = np.r_[rng.choice(poor_enough, min(count - wrong, poor_enough.size), replace=False),
                     rng.choice(better_off, min(wrong, better_off.size), replace=False)].astype(np.int64)
    if proposed.size:
        head = fam["head"].to_numpy()[proposed]
        frames.append(pd.DataFrame({
            "KODE_DESA": fam["kode_desa"].to_numpy()[proposed].astype(str),
            "NIK": true_nik[head].astype(str), "NO_KK": fam["no_kk"].to_numpy()[proposed].astype(str),
            "NAMA": persons["nama"].to_numpy()[head], "AKSI": "USULAN_BARU", "NIK_BARU": None,
            "is_true_claim": ~well_off[proposed],
        }))
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, ignore_index=True)
    # One meeting per village, on one day; its berita acara number.
    villages = np.unique(table["KODE_DESA"])
    start, end = MEETING_PERIOD
    day = start + rng.integers(0, int((end - start).astype(int)), villages.size).astype("timedelta64[D]")
    number = rng.integers(1, 400, villages.size)
    meeting = pd.DataFrame({"KODE_DESA": villages, "TGL_MUSDES": day.astype(str),
                            "NO_BA": [f"{n:03d}/BA-MUSDES/{v}/{str(d)[:4]}" for n, v, d in zip(number, villages, day)]})
    table = table.merge(meeting, on="KODE_DESA", how="left")
    which = rng.integers(0, 2, len(table))
    table["KETERANGAN"] = [KETERANGAN[a][w] for a, w in zip(table["AKSI"], which)]
    return table


def _one_digit_off(nik: str, u: float) -> str:
    i = int(u * 16)
    return nik[:i] + str((int(nik[i]) + 1 + int(u * 1000) % 9) % 10) + nik[i + 1:]


def write_files(table: pd.DataFrame, folder, columns: tuple[str, ...]) -> pd.DataFrame:
    """verivali/musdes_YYYY_MM.csv per month of meeting; returns truth rows (file, row_number, is_true_claim)."""
    truth = []
    if table.empty:
        return pd.DataFrame(columns=["file", "row_number", "is_true_claim"])
    table = table.sort_values(["TGL_MUSDES", "KODE_DESA", "AKSI"], kind="stable")
    for month, rows in table.groupby(table["TGL_MUSDES"].str[:7], sort=True):
        name = f"musdes_{month.replace('-', '_')}.csv"
        sink = CsvSink(folder / name, list(columns))
        sink.write({c: pa.array(rows[c].to_numpy(dtype=object), pa.string()) for c in columns})
        sink.close()
        truth.append(pd.DataFrame({"file": f"verivali/{name}", "row_number": np.arange(1, len(rows) + 1),
                                   "is_true_claim": rows["is_true_claim"].astype(int).to_numpy()}))
    return pd.concat(truth, ignore_index=True)
