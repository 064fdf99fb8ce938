"""Great Expectations 1.x suites run on pandas batches streamed out of DuckDB.

GX's SQL datasource gives wrong results on DuckDB and dagster-ge supports only GX < 1, so
a suite is run here directly: an ephemeral context with a pandas datasource, one batch at a
time, results summed over all batches. Every row is validated; only the columns a suite
needs leave DuckDB, `batch_rows` at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

from dtsen_assets.warehouse import stream_batches

LINE_COLUMN = "_line_number"


@dataclass
class ExpectationOutcome:
    """One expectation summed over all batches."""

    expectation: str
    column: str | None
    element_count: int = 0
    unexpected_count: int = 0
    example_lines: list[int] = field(default_factory=list)
    mostly: float = 1.0
    table_level_success: bool | None = None

    @property
    def success(self) -> bool:
        if self.table_level_success is not None:
            return self.table_level_success
        if self.element_count == 0:
            return True
        return 1 - self.unexpected_count / self.element_count >= self.mostly

    @property
    def unexpected_share(self) -> float:
        return self.unexpected_count / self.element_count if self.element_count else 0.0


@cache
def _context():
    # No analytics calls (no network at run time: the context's own setting, so GX never consults
    # GX_ANALYTICS_ENABLED) and no progress bars in the logs.
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def validate_table(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    suite_name: str,
    expectations: list[gxe.Expectation],
    batch_rows: int = 200_000,
    max_examples: int = 5,
) -> list[ExpectationOutcome]:
    """Run the expectations over every row of `table`, streaming it in pandas batches."""
    context = _context()
    name = f"{suite_name}_{len(context.suites.all())}"
    suite = context.suites.add(gx.ExpectationSuite(name=name))
    expectation_ids = [suite.add_expectation(e.copy()).id for e in expectations]
    batch_definition = (
        context.data_sources.add_pandas(name).add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
    )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(data=batch_definition, suite=suite, name=name)
    )
    columns = sorted(
        {c for e in expectations if (c := getattr(e, "column", None))}
        | {c for e in expectations for c in (getattr(e, "column_set", None) or [])}
    )
    select = ", ".join(f'"{c}"' for c in [LINE_COLUMN, *columns]) if columns else "*"
    outcomes = [
        ExpectationOutcome(e.expectation_type, getattr(e, "column", None), mostly=getattr(e, "mostly", 1.0) or 1.0)
        for e in expectations
    ]
    first = True
    for frame in stream_batches(connection, f"SELECT {select} FROM {table}", batch_rows):
        result = validation.run(
            batch_parameters={"dataframe": frame},
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": [LINE_COLUMN],
                "partial_unexpected_count": max_examples,
            },
        )
        by_id = {r.expectation_config.id: r for r in result.results}
        for outcome, expectation_id in zip(outcomes, expectation_ids):
            expectation_result = by_id[expectation_id]
            details = expectation_result.result or {}
            if outcome.column is None:
                if first:
                    outcome.table_level_success = bool(expectation_result.success)
                continue
            counted = int(details.get("element_count", 0) or 0)
            if outcome.expectation != "expect_column_values_to_not_be_null":
                counted -= int(details.get("missing_count", 0) or 0)  # GX ignores nulls there
            outcome.element_count += counted
            outcome.unexpected_count += int(details.get("unexpected_count", 0) or 0)
            for index_row in details.get("unexpected_index_list") or []:
                if len(outcome.example_lines) >= max_examples:
                    break
                outcome.example_lines.append(int(index_row[LINE_COLUMN]))
        first = False
    return outcomes
