"""generate_drop: the world, chunk by chunk, written as a drop plus its truth/."""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import shutil
import signal
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dtsen_assets.contract import SOURCE_FILES
from dtsen_assets.synth import cekbansos, inject, render, verivali
from dtsen_assets.synth.codes import Codebook
from dtsen_assets.synth.csvout import CsvFormat, CsvSink
from dtsen_assets.synth.economy import POVERTY_LINE, calibrate
from dtsen_assets.synth.geography import CHUNK_PERSONS, plan_chunks, sample_villages
from dtsen_assets.synth.identity import SerialRegistry
from dtsen_assets.synth.problems import Coverage, ProblemRates
from dtsen_assets.synth.reference import load_reference
from dtsen_assets.synth.world import build_chunk, dates

DEFAULT_PERSONS = 50_000
DROP_FOLDERS = ("dukcapil", "dtks", "p3ke", "regsosek", "susenas", "verivali", "cekbansos", "truth")
# Files whose columns come in a shuffled order when shuffle_columns is on (the contract allows any order).
SHUFFLED_FILES = ("p3ke_keluarga", "regsosek_individu", "susenas_rumah_tangga", "verivali_musdes")
TRUTH_COLUMNS = {
    "persons": ["person_key", "nik", "no_kk", "nama", "tgl_lahir", "jenis_kelamin", "kode_desa", "is_alive",
                "family_key"],
    "source_records": ["source", "source_record_id", "person_key", "problems"],
    "source_families": ["source", "source_family_id", "no_kk_true"],
    "families": ["no_kk", "kode_desa", "jumlah_art", "pengeluaran_kapita", "log_pengeluaran_expected", "is_poor"],
}
# World-level problems and where they show: (problem, rate field, file, column, unit)
WORLD_PROBLEMS = (
    ("dead", "dead", "dukcapil/penduduk.csv", "STATUS", "persons"),
    ("moved", "moved", "dukcapil/penduduk.csv", "KODE_DESA", "families"),
    ("moved_province", "moved_province", "dukcapil/penduduk.csv", "KODE_DESA", "families"),
    ("kk_reissued", "kk_reissued", "dukcapil/penduduk.csv", "NO_KK", "families"),
    ("nik_birthdate_mismatch", "nik_birthdate_mismatch", "dukcapil/penduduk.csv", "NIK", "persons"),
    ("nik_sex_mismatch", "nik_sex_mismatch", "dukcapil/penduduk.csv", "NIK", "persons"),
    ("nik_old_prefix", "nik_old_prefix", "dukcapil/penduduk.csv", "NIK", "persons born before 2010"),
)


def resolve_rates(rates: ProblemRates | None = None, rate_scale: float | None = None,
                  **overrides: float) -> ProblemRates:
    rates = rates or ProblemRates()
    if rate_scale is not None:
        rates = rates.scaled(rate_scale)
    return rates.with_overrides(**overrides) if overrides else rates


def generate_drop(out_dir: str | Path, persons: int = DEFAULT_PERSONS, seed: int = 0, *,
                  rates: ProblemRates | None = None, rate_scale: float | None = None,
                  coverage: Coverage | None = None, shuffle_columns: bool = True,
                  chunk_persons: int = CHUNK_PERSONS, data_dir: str | None = None,
                  world: str = "default", susenas_households: int | None = None,
                  workers: int | None = None, **rate_overrides: float) -> dict:
    """Write a drop of `persons` persons (Dukcapil rows) to `out_dir`, with truth/ beside it.

    `rates` (default ProblemRates()) times `rate_scale`, then any `rate_overrides` by name
    (e.g. nik_typo=0.1), set the injected problems; `coverage` who is in which source. `world`
    chooses the economy (economy.WORLDS: "default", or "linear": consumption linear in the
    attributes with heteroscedastic noise, R² about 0.5). `susenas_households` sets the expected
    size of the SUSENAS sample (the sampling rates of `coverage` scaled, smaller regencies still
    sampled more). The same arguments give the same drop, byte for byte, whatever `workers` (processes
    building chunks; default one per core, one when the drop is a single chunk). Returns the summary
    also written to truth/summary.json.
    """
    started = time.perf_counter()
    if persons < 1:
        raise ValueError("a drop needs at least one person")
    rates = resolve_rates(rates, rate_scale, **rate_overrides)
    coverage = coverage or Coverage()
    out = Path(out_dir)
    for folder in DROP_FOLDERS:     # a new drop replaces an old one (verivali file names vary)
        shutil.rmtree(out / folder, ignore_errors=True)
    reference = load_reference(data_dir)
    economy = calibrate(coverage, data_dir, world)
    codebook = Codebook(reference.codebook)
    plan_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    villages = sample_villages(reference, persons, plan_rng)
    if susenas_households is not None:
        coverage = survey_of_size(coverage, susenas_households, villages, reference, economy, rates)
    chunks = plan_chunks(villages, chunk_persons)

    columns = {f.key: list(f.columns) for f in SOURCE_FILES}
    if shuffle_columns:
        for key in SHUFFLED_FILES:
            plan_rng.shuffle(columns[key])
    formats = {f.key: CsvFormat(columns[f.key], f.delimiter) for f in SOURCE_FILES if not f.many_files}
    formats.update({f"truth/{name}": CsvFormat(cols) for name, cols in TRUTH_COLUMNS.items()})
    paths = {f.key: out / f.path for f in SOURCE_FILES if not f.many_files}
    paths.update({f"truth/{name}": out / "truth" / f"{name}.csv" for name in TRUTH_COLUMNS})
    sinks = {key: CsvSink(paths[key], formats[key].columns, formats[key].delimiter) for key in formats}
    shared = _Shared(seed, reference, economy, rates, coverage, codebook, formats)
    # Every chunk's persons are known from the plan, so each chunk's first person_key is too.
    starts = np.r_[0, np.cumsum([int(v["persons"].sum()) for v in chunks])[:-1]].tolist()
    ledger = inject.Ledger()
    registry = SerialRegistry()
    stats = _Stats()
    decisions = []
    numbering = cekbansos.Numbering()
    try:
        for part in _chunk_parts(shared, chunks, starts, registry, workers):
            for key, lines in part.lines.items():
                for piece in lines:
                    sinks[key].write_lines(piece)
            for key, column in (("cekbansos_usul", "ID_USUL"), ("cekbansos_sanggah", "ID_SANGGAH")):
                rows = numbering.number(part.cekbansos[key], column)
                if rows:
                    sinks[key].write(rows)
            decisions.append(part.decisions)
            ledger.merge(part.ledger)
            stats.merge(part.stats)
    finally:
        for sink in sinks.values():
            sink.close()
    person_key_start = int(sum(int(v["persons"].sum()) for v in chunks))

    table = pd.concat([d for d in decisions if not d.empty], ignore_index=True) if any(
        not d.empty for d in decisions) else pd.DataFrame()
    if not table.empty:
        ledger.add("verivali_wrong_claim", "verivali/*.csv", "AKSI", ~table["is_true_claim"].to_numpy(bool), len(table))
    verivali_truth = verivali.write_files(table, out / "verivali", columns["verivali_musdes"])
    verivali_truth.to_csv(out / "truth" / "verivali.csv", index=False)
    _write_problems(out / "truth" / "problems.csv", ledger, rates)

    summary = stats.summary(persons=person_key_start, seed=seed, rates=rates, coverage=coverage,
                            villages=villages, chunks=len(chunks), economy=economy, decisions=table)
    summary["world"] = world
    summary["generation_seconds"] = round(time.perf_counter() - started, 2)
    (out / "truth" / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def survey_of_size(coverage: Coverage, households: int, villages: pd.DataFrame, reference, economy,
                   rates: ProblemRates) -> Coverage:
    """`coverage` with the SUSENAS sampling rates scaled so that about `households` are sampled.

    The expected number of families of each sampled village is its living persons over the
    calibrated persons per family; a regency's rate follows its population rank as in world.py.
    """
    if households < 1:
        raise ValueError("susenas_households must be at least 1")
    population = reference.regencies.set_index("kode_kab")["population"]
    share = population.rank(pct=True).reindex(villages["kode_kab"].to_numpy()).to_numpy()
    low, high = coverage.susenas_min_rate, coverage.susenas_max_rate
    rate = high - (high - low) * share
    families = villages["persons"].to_numpy() * (1.0 - rates.dead) / economy.persons_per_family
    expected = float(np.sum(families * rate))
    factor = households / expected
    if high * factor > 1.0:
        raise ValueError(f"a survey of {households:,} households needs more families than the drop's about "
                         f"{int(families.sum()):,}: ask for fewer households or more persons")
    return replace(coverage, susenas_min_rate=low * factor, susenas_max_rate=high * factor)


@dataclass(frozen=True)
class _Shared:
    """What every chunk is built from, the same for all chunks (sent once to each worker)."""
    seed: int
    reference: object
    economy: object
    rates: ProblemRates
    coverage: Coverage
    codebook: Codebook
    formats: dict


@dataclass
class _ChunkPart:
    """One chunk, ready to append: encoded lines per file, Cek Bansos rows to number, counts to add."""
    lines: dict
    cekbansos: dict
    decisions: pd.DataFrame
    ledger: dict
    stats: dict
    issued: set


def _build_part(shared: _Shared, index: int, villages: pd.DataFrame, person_key_start: int,
                registry: SerialRegistry) -> _ChunkPart:
    """Build, render and encode one chunk. Its random numbers come from (seed, index) alone."""
    rng = np.random.default_rng(np.random.SeedSequence(shared.seed, spawn_key=(1, index)))
    chunk = build_chunk(index, villages, person_key_start, shared.reference, shared.economy, shared.rates,
                        shared.coverage, rng, registry)
    ledger = inject.Ledger()
    ctx = render.Context(chunk, rng, shared.rates, shared.coverage, shared.economy, shared.codebook, ledger)
    _world_ledger(ledger, chunk, shared.rates)
    lines: dict[str, list[bytes]] = {}

    def write(key: str, table: dict) -> None:
        lines.setdefault(key, []).append(shared.formats[key].encode(table))

    write("dukcapil_penduduk", render.render_dukcapil(ctx))
    outputs = {}
    for source, renderer in (("dtks", render.render_dtks), ("p3ke", render.render_p3ke),
                             ("regsosek", render.render_regsosek)):
        output = renderer(ctx)
        outputs[source] = output
        family_key, person_key = _registry_files(source)
        write(family_key, output.family_table)
        write(person_key, output.person_table)
        _write_registry_truth(write, source, chunk, output)
    write("susenas_rumah_tangga", render.render_susenas(ctx))
    decisions = verivali.decisions(ctx, outputs["dtks"])
    cek_bansos = {"cekbansos_usul": cekbansos.proposals(ctx),
                  "cekbansos_sanggah": cekbansos.objections(ctx, outputs["dtks"])}
    _write_world_truth(write, chunk)
    stats = _Stats()
    stats.add(chunk, outputs)
    return _ChunkPart(lines, cek_bansos, decisions, dict(ledger.counts), stats.c, registry.issued)


_WORKER_SHARED: _Shared | None = None


def _worker_init(shared: _Shared) -> None:
    global _WORKER_SHARED
    _WORKER_SHARED = shared
    # A forked worker inherits its parent's signal dispositions; where the parent ignores SIGTERM (a
    # pytest-xdist worker does), Pool.terminate() could not stop it and the pool's exit waited forever.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _worker_part(task: tuple) -> _ChunkPart:
    index, villages, person_key_start = task
    return _build_part(_WORKER_SHARED, index, villages, person_key_start, SerialRegistry())


def _chunk_parts(shared: _Shared, chunks: list[pd.DataFrame], starts: list[int], registry: SerialRegistry,
                 workers: int | None):
    """The chunks' parts in chunk order, built by `workers` processes (default: one per core).

    A worker numbers the NIKs under retired region codes with a registry of its own chunk only.
    Where such a NIK was also issued by an earlier chunk (rare: a retired code shared by districts
    of two chunks), the chunk is built again here with the registry of all earlier chunks, so
    the output is the same bytes as one process building the chunks in order.
    """
    workers = min(workers or os.cpu_count() or 1, len(chunks))
    if workers <= 1:
        for index, villages in enumerate(chunks):
            yield _build_part(shared, index, villages, starts[index], registry)
        return
    context = multiprocessing.get_context("fork")   # no re-import, `shared` not pickled
    # A forked worker must not garbage-collect what it inherits: an unreachable DuckDB connection of the
    # caller (a test's, a Dagster step's) collected in a worker crashes it, its threads not being there, and
    # the pool then waits forever for that chunk. The caller's garbage is collected here, in its own process,
    # and what is left is frozen for the workers' lifetime.
    gc.collect()
    gc.freeze()
    pool = context.Pool(workers, initializer=_worker_init, initargs=(shared,))
    finished = False
    try:
        tasks = [(index, villages, starts[index]) for index, villages in enumerate(chunks)]
        for index, part in enumerate(pool.imap(_worker_part, tasks)):
            if part.issued & registry.issued:
                part = _build_part(shared, index, chunks[index], starts[index], registry)
            else:
                registry.issued |= part.issued
            yield part
        finished = True
    finally:
        # Every part delivered: the workers are told there is no more work and leave on their own (close).
        # Only on an error, or a caller that stops early, are they terminated (`with Pool()` always
        # terminates, and its terminate holds the task queue's lock, which an idle worker may be waiting for).
        if finished:
            pool.close()
        else:
            pool.terminate()
        pool.join()
        gc.unfreeze()


def _registry_files(source: str) -> tuple[str, str]:
    return {"dtks": ("dtks_keluarga", "dtks_art"), "p3ke": ("p3ke_keluarga", "p3ke_individu"),
            "regsosek": ("regsosek_keluarga", "regsosek_individu")}[source]


def _person_key(keys: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise("P", render.padded(keys, 9), "")


def _write_registry_truth(write, source: str, chunk, output: render.RegistryOutput) -> None:
    records = output.records
    n = records.person.size
    write("truth/source_records", {
        "source": pa.array([source] * n, pa.string()),
        "source_record_id": output.record_id,
        "person_key": _person_key(chunk.persons["person_key"].to_numpy()[records.person]),
        "problems": inject.bits_to_text(output.problem_bits),
    })
    families = records.family_rows
    write("truth/source_families", {
        "source": pa.array([source] * families.size, pa.string()),
        "source_family_id": records.family_id,
        "no_kk_true": render.text(chunk.families["no_kk"].to_numpy()[families]),
    })


def _write_world_truth(write, chunk) -> None:
    persons, fam = chunk.persons, chunk.families
    family = persons["family"].to_numpy()
    no_kk = render.text(fam["no_kk"].to_numpy()[family])
    write("truth/persons", {
        "person_key": _person_key(persons["person_key"].to_numpy()),
        "nik": render.text(persons["nik"].to_numpy()),
        "no_kk": no_kk,
        "nama": pa.array(persons["nama"].to_numpy(), pa.string()),
        "tgl_lahir": pa.array(dates(persons, "tgl_lahir")).cast(pa.string()),
        "jenis_kelamin": np.where(persons["female"].to_numpy(), "P", "L").astype(object),
        "kode_desa": render.text(fam["kode_desa"].to_numpy()[family]),
        "is_alive": persons["is_alive"].to_numpy(),
        "family_key": no_kk,
    })
    write("truth/families", {
        "no_kk": render.text(fam["no_kk"].to_numpy()),
        "kode_desa": render.text(fam["kode_desa"].to_numpy()),
        "jumlah_art": fam["jumlah_art"].to_numpy(),
        "pengeluaran_kapita": fam["pengeluaran_kapita"].to_numpy(),
        "log_pengeluaran_expected": np.round(fam["log_pengeluaran_expected"].to_numpy(), 6),
        "is_poor": fam["is_poor"].to_numpy(),
    })


def _world_ledger(ledger: inject.Ledger, chunk, rates: ProblemRates) -> None:
    persons, fam = chunk.persons, chunk.families
    ledger.add("dead", "dukcapil/penduduk.csv", "STATUS", ~persons["is_alive"].to_numpy(), len(persons))
    movable = fam["moved_eligible"].to_numpy()
    across = fam["moved_province"].to_numpy()
    ledger.add("moved", "dukcapil/penduduk.csv", "KODE_DESA", fam["moved"].to_numpy() & ~across, movable)
    ledger.add("moved_province", "dukcapil/penduduk.csv", "KODE_DESA", across, len(fam))
    ledger.add("kk_reissued", "dukcapil/penduduk.csv", "NO_KK", fam["kk_reissued"].to_numpy(), ~fam["moved"].to_numpy())
    for problem in ("nik_birthdate_mismatch", "nik_sex_mismatch"):
        ledger.add(problem, "dukcapil/penduduk.csv", "NIK", persons[problem].to_numpy(), len(persons))
    ledger.add("nik_old_prefix", "dukcapil/penduduk.csv", "NIK", persons["nik_old_prefix"].to_numpy(),
               persons["nik_old_prefix_eligible"].to_numpy())


def _write_problems(path: Path, ledger: inject.Ledger, rates: ProblemRates) -> None:
    rate_of = rates.as_dict()
    rows = []
    for (problem, file, column), (injected, eligible) in sorted(ledger.counts.items()):
        rows.append({"problem": problem, "file": file, "column": column,
                     "documented_rate": rate_of.get(_RATE_NAME.get((problem, file), problem)),
                     "injected_count": injected, "eligible_count": eligible})
    pd.DataFrame(rows, columns=["problem", "file", "column", "documented_rate", "injected_count",
                                "eligible_count"]).to_csv(path, index=False)


# Problems whose rate in one file has a name of its own: REGSOSEK's empty NIKs.
_RATE_NAME = {("nik_empty", "regsosek/individu.csv"): "regsosek_nik_empty"}


class _Stats:
    """Running counts for truth/summary.json."""

    def __init__(self) -> None:
        self.c: dict[str, float] = {}

    def _add(self, key: str, value) -> None:
        self.c[key] = self.c.get(key, 0) + float(value)

    def merge(self, counts: dict) -> None:
        """Add another chunk's counts (one value per key and chunk: the sums are those of one process)."""
        for key, value in counts.items():
            self._add(key, value)

    def add(self, chunk, outputs: dict) -> None:
        fam, persons = chunk.families, chunk.persons
        size = fam["jumlah_art"].to_numpy()
        poor = fam["is_poor"].to_numpy()
        self._add("families", len(fam))
        self._add("living", size.sum())
        self._add("dead", (~persons["is_alive"].to_numpy()).sum())
        self._add("poor_persons", size[poor].sum())
        self._add("poor_families", poor.sum())
        self._add("susenas_households", fam["in_susenas"].sum())
        self._add("susenas_weight", fam["bobot"].to_numpy()[fam["in_susenas"].to_numpy()].sum())
        for source, output in outputs.items():
            self._add(f"{source}_families", output.records.family_rows.size)
            self._add(f"{source}_records", output.records.person.size)
            self._add(f"{source}_poor_families", poor[output.records.family_rows].sum())

    def summary(self, *, persons, seed, rates, coverage, villages, chunks, economy, decisions) -> dict:
        c = self.c
        families = c.get("families", 0)
        poor_families = c.get("poor_families", 0)
        coverage_shares = {
            source: {
                "families": int(c.get(f"{source}_families", 0)),
                "records": int(c.get(f"{source}_records", 0)),
                "share_of_families": round(c.get(f"{source}_families", 0) / max(families, 1), 4),
                "share_of_poor_families": round(c.get(f"{source}_poor_families", 0) / max(poor_families, 1), 4),
            } for source in ("dtks", "p3ke", "regsosek")}
        return {
            "persons": int(persons),
            "living_persons": int(c.get("living", 0)),
            "dead_persons": int(c.get("dead", 0)),
            "families": int(families),
            "persons_per_family": round(c.get("living", 0) / max(families, 1), 3),
            "persons_per_poor_family": round(c.get("poor_persons", 0) / max(poor_families, 1), 3),
            "seed": seed,
            "poverty_line": POVERTY_LINE,
            "national_p0": round(c.get("poor_persons", 0) / max(c.get("living", 0), 1), 4),
            "calibration_national_p0": round(economy.national_p0, 4),
            "villages": int(len(villages)),
            "regencies": int(villages["kode_kab"].nunique()),
            "provinces": int(villages["kode_prov"].nunique()),
            "chunks": chunks,
            "coverage": coverage_shares,
            "susenas": {"households": int(c.get("susenas_households", 0)),
                        "share_of_families": round(c.get("susenas_households", 0) / max(families, 1), 4),
                        "sum_of_weights": round(c.get("susenas_weight", 0), 1)},
            "verivali": ({str(k): int(v) for k, v in decisions["AKSI"].value_counts().sort_index().items()}
                         if not decisions.empty else {}),
            "rates": rates.as_dict(),
            "coverage_parameters": coverage.as_dict(),
        }
