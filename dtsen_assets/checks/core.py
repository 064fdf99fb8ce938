"""What every check produces, and how a failed blocking check stops a run.

Checks are evaluated inside the asset that guards its own publication (write, audit,
publish): the asset stages its table, evaluates its checks, records each result, and only
publishes when every blocking check passed. Otherwise it raises `BlockingCheckFailed`, whose
message names the check, the file, the column and example rows (personal data masked), and
Dagster skips everything downstream.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import dagster as dg
import duckdb

from dtsen_assets.warehouse import drop_staging, publish


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


class BlockingCheckFailed(dg.Failure):
    """A blocking check failed: nothing was published and downstream assets do not run."""


def check_spec(asset: str | dg.AssetKey, name: str, description: str, blocking: bool = True) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name=name, asset=asset, description=description, blocking=blocking)


def format_examples(rows: Sequence[object], limit: int = 5) -> str:
    """`lines 3, 8, 12` style list of at most `limit` examples."""
    shown = ", ".join(str(r) for r in list(rows)[:limit])
    return shown if shown else "none"


def raise_if_blocking_failed(asset_label: str, outcomes: Iterable[CheckOutcome]) -> None:
    failed = [o for o in outcomes if o.blocking and not o.passed]
    if not failed:
        return
    lines = [f"{asset_label}: {len(failed)} blocking check(s) failed; nothing was published."]
    lines += [f"- {o.name}: {o.summary}" for o in failed]
    raise BlockingCheckFailed(
        description="\n".join(lines),
        metadata={"failed_checks": ", ".join(o.name for o in failed)},
    )


def audit_then_publish(
    connection: duckdb.DuckDBPyConnection,
    asset_key: dg.AssetKey,
    asset_label: str,
    outcomes: Sequence[CheckOutcome],
    tables: Sequence[str],
) -> Iterator[dg.AssetCheckResult]:
    """Yield the check results of staged `tables`; publish them all, or drop them and raise when a blocking check failed."""
    for outcome in outcomes:
        yield outcome.to_result(asset_key)
    if any(o.blocking and not o.passed for o in outcomes):
        drop_staging(connection, list(tables))
        raise_if_blocking_failed(asset_label, outcomes)
    publish(connection, list(tables))


def _metadata_values(metadata: dict[str, object]) -> dict[str, object]:
    values: dict[str, object] = {}
    for key, value in metadata.items():
        if isinstance(value, (list, tuple)):
            values[key] = ", ".join(str(v) for v in value)
        else:
            values[key] = value
    return values
