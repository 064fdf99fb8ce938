"""The one gate every asset goes through: stage, evaluate the group's checks, publish or keep, report.

    stage(connection)            a stage package builds `<table>__staging` and returns what it staged
    evaluate(connection, staged) the group's checks (dtsen_assets/checks/<group>.py) judge the staged tables
    publish or keep              every blocking check passed: the staged tables replace the published ones in
                                 one transaction (`warehouse.publish`; inside a release run, the run's own
                                 names until `dtsen/release`); otherwise they are dropped and the previous
                                 tables stay as they were
    report                       one AssetCheckResult per evaluated check; a blocking failure raises
                                 `BlockingCheckFailed`, so Dagster skips everything downstream

A check that was not evaluated (e.g. raw `drift_within_bounds`, which runs only when the other raw
checks passed) yields no result: Dagster 1.13 then resolves its planned evaluation as "not executed"
(`AssetCheckExecutionResolvedStatus.EXECUTION_FAILED` in a failed run, `SKIPPED` otherwise), never as a
failed check. The failure message lists it under "not evaluated".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import dagster as dg
import duckdb

from dtsen_assets.warehouse import drop_staging, publish

Staged = TypeVar("Staged")


@dataclass(frozen=True)
class Check:
    """A check as a group declares it once: name, the asset it guards, what it guards, blocking, threshold.

    `threshold`: the name of the run-config field (the asset's `dg.Config`) that holds its bound, if any.
    """

    name: str
    asset: dg.AssetKey
    description: str
    blocking: bool = True
    threshold: str | None = None

    def spec(self) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(name=self.name, asset=self.asset, description=self.description,
                                 blocking=self.blocking)


def check_specs(checks: Iterable[Check], asset: dg.AssetKey | None = None) -> list[dg.AssetCheckSpec]:
    """The specs of a group's declared checks (of one asset when given)."""
    return [check.spec() for check in checks if asset is None or check.asset == asset]


def declared(checks: Iterable[Check], asset: dg.AssetKey | None = None) -> dict[str, Check]:
    """{name: check} of a group's declarations (of one asset when given)."""
    return {c.name: c for c in checks if asset is None or c.asset == asset}


@dataclass
class CheckOutcome:
    """The result of one check, before it becomes a Dagster AssetCheckResult."""

    name: str
    passed: bool
    summary: str                         # one line a data engineer can act on
    blocking: bool = True
    metadata: dict[str, object] = field(default_factory=dict)

    def to_result(self, asset_key: dg.AssetKey | None = None) -> dg.AssetCheckResult:
        severity = dg.AssetCheckSeverity.ERROR if self.blocking else dg.AssetCheckSeverity.WARN
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=self.name,
            passed=self.passed,
            severity=severity,
            description=self.summary,
            metadata={"summary": self.summary, **_metadata_values(self.metadata)},
        )


def outcome(check: Check, passed: bool, summary: str, **metadata: object) -> CheckOutcome:
    """The outcome of a declared check (its blocking comes from the declaration)."""
    return CheckOutcome(check.name, bool(passed), summary, blocking=check.blocking, metadata=metadata)


class BlockingCheckFailed(dg.Failure):
    """A blocking check failed: nothing was published and downstream assets do not run."""


def format_examples(rows: Sequence[object], limit: int = 5) -> str:
    """`lines 3, 8, 12` style list of at most `limit` examples."""
    shown = ", ".join(str(r) for r in list(rows)[:limit])
    return shown if shown else "none"


def blocking_failed(outcomes: Iterable[CheckOutcome]) -> list[CheckOutcome]:
    return [o for o in outcomes if o.blocking and not o.passed]


@dataclass
class Gated(Generic[Staged]):
    """What went through the gate: what was staged, the check outcomes, and whether it was published."""

    staged: Staged
    outcomes: list[CheckOutcome]
    tables: list[str]
    published: bool
    timings: dict[str, float] = field(default_factory=dict)


def stage_check_publish(
    connection: duckdb.DuckDBPyConnection,
    stage: Callable[[duckdb.DuckDBPyConnection], Staged],
    evaluate: Callable[[duckdb.DuckDBPyConnection, Staged], list[CheckOutcome]],
    tables: Sequence[str] | Callable[[Staged], Sequence[str]],
) -> Gated[Staged]:
    """Stage, evaluate, then publish `tables` (all in one transaction) or drop their staged copies.

    A plain function (no Dagster): assets report the result with `report`; tests and benchmarks call it directly.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    staged = stage(connection)
    timings["stage"] = time.perf_counter() - started
    started = time.perf_counter()
    outcomes = list(evaluate(connection, staged))
    timings["checks"] = time.perf_counter() - started
    names = list(tables(staged) if callable(tables) else tables)
    if blocking_failed(outcomes):
        drop_staging(connection, names)
        return Gated(staged, outcomes, names, published=False, timings=timings)
    started = time.perf_counter()
    publish(connection, names)
    timings["publish"] = time.perf_counter() - started
    return Gated(staged, outcomes, names, published=True, timings=timings)


def report(
    label: str,
    outcomes: Sequence[CheckOutcome],
    asset: dg.AssetKey | Mapping[str, dg.AssetKey] | None = None,
    not_evaluated: Sequence[str] = (),
) -> Iterator[dg.AssetCheckResult]:
    """Yield one result per evaluated check (`asset`: the key, or a map check name -> key); raise on a blocking failure."""
    for o in outcomes:
        yield o.to_result(asset[o.name] if isinstance(asset, Mapping) else asset)
    raise_if_blocking_failed(label, outcomes, not_evaluated)


def raise_if_blocking_failed(label: str, outcomes: Iterable[CheckOutcome], not_evaluated: Sequence[str] = ()) -> None:
    outcomes = list(outcomes)
    failed = blocking_failed(outcomes)
    if not failed:
        return
    evaluated = {o.name for o in outcomes}
    skipped = [name for name in not_evaluated if name not in evaluated]
    lines = [f"{label}: {len(failed)} blocking check(s) failed; nothing was published."]
    lines += [f"- {o.name}: {o.summary}" for o in failed]
    if skipped:
        lines.append(f"Not evaluated (they run only after the checks above pass): {', '.join(skipped)}")
    raise BlockingCheckFailed(
        description="\n".join(lines),
        metadata={"failed_checks": ", ".join(o.name for o in failed),
                  "not_evaluated": ", ".join(skipped) or "none"},
    )


def _metadata_values(metadata: dict[str, object]) -> dict[str, object]:
    values: dict[str, object] = {}
    for key, value in metadata.items():
        if isinstance(value, (list, tuple)):
            values[key] = ", ".join(str(v) for v in value)
        else:
            values[key] = value
    return values
