"""Cek Bansos: citizens' proposals (usul) and objections (sanggah), the optional cekbansos/ folder.

| file | who | mostly | also |
|---|---|---|---|
| usul.csv | heads of families DTKS does not hold, for PKH, BPNT or PBI_JK | poorer families (below the national 40th percentile) | better-off ones |
| usul.csv | persons aged 18-24, for KIP_KULIAH | | |
| usul.csv | a proposal whose NIK is mistyped | | (one digit off: not found in DTSEN) |
| sanggah.csv | a neighbour objects to the head of a DTKS family receiving PKH or BPNT | better-off families | poor ones |

`Coverage.cekbansos_usul` / `cekbansos_sanggah` set how many. ALASAN is free text and, like a real
app's, sometimes names a person: the pipeline must never log it in the clear. IDs run on across
chunks in their order (`USL-000001`, `SGH-000001`; `Numbering`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from dtsen_assets.synth.render import Context, RegistryOutput

SUBMISSION_PERIOD = (np.datetime64("2025-09-01"), np.datetime64("2026-01-31"))
KIP_AGES = (18, 24)
WRONG_NIK_SHARE = 0.05
USUL_ALASAN = (
    "Keluarga kami belum terdaftar padahal penghasilan tidak tetap",
    "Suami sudah meninggal, anak masih sekolah",
    "Mohon dibantu, rumah masih berlantai tanah",
    "Saya {nama} belum pernah menerima bantuan",
    "Anak kami {nama} baru diterima kuliah",
)
SANGGAH_ALASAN = (
    "Penerima sudah mampu, punya mobil dan rumah permanen",
    "Keluarga {nama} sudah pindah ke kota",
    "Penerima bekerja sebagai pegawai tetap",
    "{nama} membuka toko besar di desa",
)


ID_PREFIX = {"ID_USUL": "USL", "ID_SANGGAH": "SGH"}


class Numbering:
    """IDs that run on across chunks: each chunk's rows are numbered in the chunks' order."""

    def __init__(self) -> None:
        self.count = dict.fromkeys(ID_PREFIX, 0)

    def number(self, rows: dict, column: str) -> dict:
        """`rows` (of proposals or objections) with their IDs in `column`; {} stays {}."""
        if not rows:
            return rows
        n = len(next(iter(rows.values())))
        start, self.count[column] = self.count[column], self.count[column] + n
        ids = [f"{ID_PREFIX[column]}-{start + i + 1:06d}" for i in range(n)]
        return {column: pa.array(ids, pa.string()), **rows}


def proposals(ctx: Context) -> dict:
    """The chunk's proposals, without their ID_USUL (Numbering gives it)."""
    rng, fam, persons = ctx.rng, ctx.fam, ctx.persons
    well_off = np.log(np.maximum(fam["pengeluaran_kapita"].to_numpy(), 1)) >= ctx.economy.log_consumption_p40
    alive = persons["is_alive"].to_numpy()
    head = fam["head"].to_numpy()
    outside = np.flatnonzero(~fam["in_dtks"].to_numpy() & alive[head])
    count = int(rng.binomial(outside.size, ctx.coverage.cekbansos_usul)) if outside.size else 0
    # Mostly the poorer families propose themselves; some better-off ones too.
    weight = np.where(well_off[outside], 0.3, 1.0)
    families = rng.choice(outside, min(count, outside.size), replace=False,
                          p=weight / weight.sum()) if count else np.array([], np.int64)
    who = head[families]
    program = rng.choice(np.array(["PKH", "BPNT", "PBI_JK"]), who.size)
    age = persons["age"].to_numpy()
    students = np.flatnonzero(alive & (age >= KIP_AGES[0]) & (age <= KIP_AGES[1]))
    kip_count = int(rng.binomial(students.size, ctx.coverage.cekbansos_usul)) if students.size else 0
    kip = rng.choice(students, min(kip_count, students.size), replace=False) if kip_count else np.array([], np.int64)
    who = np.r_[who, kip].astype(np.int64)
    program = np.r_[program, np.full(kip.size, "KIP_KULIAH")]
    if not who.size:
        return {}
    nik = persons["nik"].to_numpy()[who].astype(str)
    mistyped = rng.random(who.size) < WRONG_NIK_SHARE
    nik = np.where(mistyped, [_one_digit_off(s, u) for s, u in zip(nik, rng.random(who.size))], nik)
    family = persons["family"].to_numpy()[who]
    names = persons["nama"].to_numpy()[who]
    return {
        "TGL_USUL": pa.array(_days(rng, who.size), pa.string()),
        "NIK": pa.array(nik, pa.string()),
        "NO_KK": pa.array(fam["no_kk"].to_numpy()[family].astype(str), pa.string()),
        "NAMA": pa.array(names, pa.string()),
        "KODE_DESA": pa.array(fam["kode_desa"].to_numpy()[family].astype(str), pa.string()),
        "PROGRAM": pa.array(program, pa.string()),
        "ALASAN": pa.array(_reasons(rng, USUL_ALASAN, names), pa.string()),
    }


def objections(ctx: Context, dtks: RegistryOutput) -> dict:
    """The chunk's objections, without their ID_SANGGAH (Numbering gives it)."""
    rng, fam, persons = ctx.rng, ctx.fam, ctx.persons
    well_off = np.log(np.maximum(fam["pengeluaran_kapita"].to_numpy(), 1)) >= ctx.economy.log_consumption_p40
    receiving = (np.asarray(dtks.family_table["PKH"]) == 1) | (np.asarray(dtks.family_table["BPNT"]) == 1)
    listed = dtks.records.family_rows[np.flatnonzero(receiving)]
    count = int(rng.binomial(listed.size, ctx.coverage.cekbansos_sanggah)) if listed.size else 0
    if not count:
        return {}
    weight = np.where(well_off[listed], 1.0, 0.25)
    families = rng.choice(listed, min(count, listed.size), replace=False, p=weight / weight.sum())
    target = fam["head"].to_numpy()[families]
    # The objector: another living person of the same village (any, when the village has no other).
    village = fam["kode_desa"].to_numpy()
    person_village = village[persons["family"].to_numpy()]
    objector = np.array([_neighbour(rng, person_village, village[f], t) for f, t in zip(families, target)])
    nik = persons["nik"].to_numpy().astype(str)
    names = persons["nama"].to_numpy()[target]
    return {
        "TGL_SANGGAH": pa.array(_days(rng, target.size), pa.string()),
        "NIK_PENYANGGAH": pa.array(nik[objector], pa.string()),
        "NIK_SASARAN": pa.array(nik[target], pa.string()),
        "KODE_DESA": pa.array(village[families].astype(str), pa.string()),
        "ALASAN": pa.array(_reasons(rng, SANGGAH_ALASAN, names), pa.string()),
    }


def _neighbour(rng: np.random.Generator, person_village: np.ndarray, village, target: int) -> int:
    same = np.flatnonzero(person_village == village)
    same = same[same != target]
    return int(rng.choice(same)) if same.size else int(target)


def _days(rng: np.random.Generator, n: int) -> list[str]:
    start, end = SUBMISSION_PERIOD
    days = start + rng.integers(0, int((end - start).astype(int)), n).astype("timedelta64[D]")
    return [str(d) for d in days]


def _reasons(rng: np.random.Generator, templates: tuple[str, ...], names: np.ndarray) -> list[str]:
    chosen = rng.integers(0, len(templates), len(names))
    return [templates[c].format(nama=str(n).title()) for c, n in zip(chosen, names)]


def _one_digit_off(nik: str, u: float) -> str:
    i = 6 + int(u * 10)          # keep the region prefix: a typo in the birth date or serial
    return nik[:i] + str((int(nik[i]) + 1 + int(u * 1000) % 9) % 10) + nik[i + 1:]
