"""Synthetic source drops: a world of families, and the registries' imperfect view of it.

Real DTSEN extracts hold the NIK of millions of poor families and are not public, so the project
generates drops in exactly the format of `sources.md` (dtsen_assets.contract), with a separate
`truth/` folder the pipeline never reads:

    python -m dtsen_assets.synth --persons 50000 --seed 0 --out data/drops/demo
        [--rate nik_typo=0.05 ...] [--rate-scale 2] [--clean] [--no-shuffle]
        [--world default|linear] [--susenas-households N]
    generate_drop(out_dir, persons, seed, rates=..., rate_scale=..., coverage=...,
                  shuffle_columns=True, world="default", susenas_households=None,
                  nik_typo=0.05, ...) -> summary dict

    python -m dtsen_assets.synth next --from DROP --out DROP2 [--seed S] [--rate deaths=0.02] [--only deaths]
    next_semester(drop, out, seed, rates=NextRates(...)) -> counts of every change

The same seed and options give the same bytes. `next` writes the next semester of a drop (six
months on: deaths, births, new families, moves, re-issued cards, marriages, families leaving,
housing updates, corrected NIKs, new village decisions) with truth/changes.csv: every change and
the change-log entry it should give (next_semester.py; grading.py grades a log against it). Columns of a few files (p3ke/keluarga,
regsosek/individu, susenas, verivali) come shuffled unless shuffle_columns=False; fields are
quoted only where they hold the delimiter or a quote.

World model
-----------
- Places (geography.py): real villages of wilayah.csv, sampled with probability proportional to
  regency population (penduduk_wilayah.csv), about 500 persons per sampled village.
- Economy (economy.py): a latent welfare per family (province level from kemiskinan_provinsi.csv,
  town, village and family effects) sets family size (poorer families are larger: about 3.0
  persons per card, 4.7 among the poor) and per-capita consumption,
  log(c) = a_province + log price_regency + 0.45 w - 0.35 log(size) + noise, calibrated so each
  province's share of poor persons matches its P0 at the Rp 609,160 line (about 9% nationally).
  `--world linear` keeps welfare, sizes and housing but makes consumption linear in the dwelling,
  assets, size and region with heteroscedastic noise (R² of the expectation 0.5): a world that is
  not kind to flexible PMT models (economy.py). `--susenas-households N` scales the SUSENAS
  sampling rates so that about N households are sampled (e.g. 2,500, a real provincial sample).
- Housing and assets (housing.py) follow latent welfare and town/village, so floor, wall, roof,
  water, power, fuel, toilet, assets, land and livestock correlate as in REGSOSEK and SUSENAS.
- Members (members.py): head, spouse, children, sometimes parents, in-laws and grandchildren; ages,
  schooling and work; Indonesian names from faker's id_ID lists (names.py).
- Identity (identity.py): NIK `PPKKCCDDMMYYSSSS` and NO_KK, unique; some NIKs carry a region code
  that no longer exists, or birth digits that disagree with the recorded birth date.
- Time (world.py): sources were collected 2021-2025; afterwards persons died, families moved and
  cards were re-issued, which Dukcapil (as of 2025-12-31) shows and the sources do not. Moves stay in
  the regency; with the rate `moved_province` (none by default) families also move to another province.
- Sources (render.py, verivali.py): Dukcapil holds everyone; REGSOSEK most families; DTKS and P3KE
  mostly the poor, with inclusion and exclusion errors; SUSENAS a 2-3.5% weighted household sample
  with measured consumption; village meetings make claims of every kind, some of them wrong.
- Cek Bansos (cekbansos.py): citizens' proposals (cekbansos/usul.csv: heads of families DTKS lacks,
  young adults for KIP Kuliah, a few mistyped NIKs) and objections (cekbansos/sanggah.csv: against heads
  of DTKS families receiving PKH or BPNT, mostly better-off ones); ALASAN is free text that may name a person.
- Problems (problems.py): every problem of "What real extracts contain" at a rate documented in
  ProblemRates, counted per file and column in truth/problems.csv (inject.py does the spoiling).
  Not problems: questions skipped after a gate question are blank (JENIS_KLOSET and
  PEMBUANGAN_TINJA when FASILITAS_BAB is 6; LAPANGAN_USAHA and KEDUDUKAN_KERJA when
  STATUS_BEKERJA is 2), and gates themselves are never spoiled.

truth/
------
persons.csv, source_records.csv, source_families.csv, families.csv, verivali.csv, problems.csv,
summary.json (see generate.TRUTH_COLUMNS); changes.csv in a next-semester drop. A record's `problems` lists what was injected into it
and what it carries from the world (nik_old_prefix, dead_still_listed, moved_village, kk_reissued).

Everything is vectorised with numpy and arrow and built chunk by chunk (whole districts of about
100,000 persons), one worker process per core (`workers`, `--workers`), written in chunk order by the
main process: the bytes do not depend on the number of workers, and memory stays bounded (about 0.5 GB
per process). 10M persons take about 300 CPU seconds (under 3 min on 2 idle cores; 582 s measured on a
shared 2-core machine, docs/scale.md; bench/bench_synth.py).
"""

from dtsen_assets.synth.generate import generate_drop
from dtsen_assets.synth.problems import Coverage, ProblemRates

__all__ = ["Coverage", "ProblemRates", "generate_drop"]
