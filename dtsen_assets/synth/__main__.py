"""python -m dtsen_assets.synth --persons N --seed S --out DIR: write a synthetic source drop.

python -m dtsen_assets.synth next --from DROP --out DROP2: the next semester of a drop (next_semester.py)."""

from __future__ import annotations

import argparse
import json
import sys

from dtsen_assets.synth.economy import WORLDS
from dtsen_assets.synth.generate import DEFAULT_PERSONS, generate_drop, resolve_rates


def parse_rate(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    if not value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), float(value)


def main_next(argv: list[str]) -> int:
    """`python -m dtsen_assets.synth next --from DROP --out DROP2`: the next semester of a drop."""
    from dtsen_assets.synth.next_semester import NextRates, next_semester

    parser = argparse.ArgumentParser(prog="python -m dtsen_assets.synth next", description=(
        "From a drop and its truth/, the next semester's drop (deaths, births, moves, new families, "
        "re-issued cards, marriages, families leaving, housing updates, new village decisions) with "
        "truth/changes.csv listing every change."))
    parser.add_argument("--from", dest="source", required=True, help="the drop (with its truth/ folder)")
    parser.add_argument("--out", required=True, help="folder of the next semester's drop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rate", type=parse_rate, action="append", default=[], metavar="NAME=VALUE",
                        help="override one change rate (repeatable), e.g. --rate deaths=0.02 (see NextRates)")
    parser.add_argument("--only", action="append", default=[], metavar="CHANGE",
                        help="only these changes (repeatable), e.g. --only deaths")
    args = parser.parse_args(argv)
    try:
        rates = NextRates(**dict(args.rate))
        if args.only:
            rates = rates.only(*args.only)
    except (TypeError, ValueError) as error:
        parser.error(str(error))
    print(json.dumps(next_semester(args.source, args.out, args.seed, rates)))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["next"]:
        return main_next(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m dtsen_assets.synth", description=__doc__)
    parser.add_argument("--persons", type=int, default=DEFAULT_PERSONS, help="persons in Dukcapil (default 50000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="data/drops/demo", help="drop folder (default data/drops/demo)")
    parser.add_argument("--rate", type=parse_rate, action="append", default=[], metavar="NAME=VALUE",
                        help="override one problem rate (repeatable), e.g. --rate nik_typo=0.05")
    parser.add_argument("--rate-scale", type=float, default=None, help="multiply every problem rate")
    parser.add_argument("--clean", action="store_true", help="no problems at all (every rate 0)")
    parser.add_argument("--no-shuffle", action="store_true", help="keep every file's columns in contract order")
    parser.add_argument("--world", choices=WORLDS, default="default", help=(
        "the economy: 'default' (consumption follows a latent welfare the dwelling only reflects) or 'linear' "
        "(consumption linear in the dwelling, assets, size and region, heteroscedastic noise, R² about 0.5: "
        "not kind to flexible models)"))
    parser.add_argument("--susenas-households", type=int, default=None, metavar="N", help=(
        "expected number of SUSENAS households (default: 2-3.5%% of families, smaller regencies sampled more); "
        "e.g. 2500 for a survey of the size of a real provincial sample"))
    parser.add_argument("--workers", type=int, default=None, help=(
        "processes building chunks of about 100,000 persons (default: one per core); the bytes do not depend on it"))
    args = parser.parse_args(argv)
    scale = 0.0 if args.clean else args.rate_scale
    try:
        rates = resolve_rates(rate_scale=scale, **dict(args.rate))
    except ValueError as error:
        parser.error(str(error))
    try:
        summary = generate_drop(args.out, args.persons, args.seed, rates=rates, shuffle_columns=not args.no_shuffle,
                                world=args.world, susenas_households=args.susenas_households, workers=args.workers)
    except ValueError as error:
        parser.error(str(error))
    keys = ("persons", "families", "persons_per_family", "national_p0", "villages", "world", "generation_seconds")
    print(json.dumps({k: summary[k] for k in keys} | {"susenas_households": summary["susenas"]["households"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
