"""Raw source assets: one per file of the drop, loaded into schema `raw` as text.

Every row and every original value is kept (all columns VARCHAR, no coercion), with
`_source_file` and `_line_number` so an auditor can go from any raw row back to its line in
the file. Every raw asset goes through the gate: the sources stage loads `raw.<file>__staging`, the
contract checks (`dtsen_assets.checks.sources`) judge it, and a file that breaks the contract leaves
the previously published `raw.<file>` untouched and stops everything downstream.
"""


import dagster as dg
from pydantic import Field

from dtsen_assets.assets.constants import OWNER, WAREHOUSE_STEP
from dtsen_assets.checks.drift import DriftBounds, record_acceptance
from dtsen_assets.checks.sources import LAST_CHECK, evaluate_source_file, raw_checks
from dtsen_assets.contract import SOURCE_FILES, SourceFile
from dtsen_assets.platform.code_version import code_version
from dtsen_assets.platform.gate import check_specs, report, stage_check_publish
from dtsen_assets.platform.publish import table_metadata
from dtsen_assets.resources import DuckDBWarehouse, SourceDrop
from dtsen_assets.sources.stage import stage_source_file

RAW_CODE_VERSION = code_version("sources", extra=["contract.py", "vital.py", "checks/drift.py",
                                                   "checks/expectations.py"])
_BOUNDS = DriftBounds()


class RawSourceConfig(dg.Config):
    """Bounds of the drift check against the last published file, and an explicit acceptance of a change."""

    accept_drift_reason: str = Field(
        default="",
        description="Accept a change beyond the drift bounds for this file in this run, with the reason "
                    "(recorded in raw.drift_acceptance). Empty: a change beyond the bounds blocks.",
    )
    max_row_change: float = Field(default=_BOUNDS.max_row_change, description="Largest relative change of rows.")
    max_id_loss: float = Field(default=_BOUNDS.max_id_loss,
                               description="Largest share of the published record ids that may be gone.")
    max_empty_share_change: float = Field(default=_BOUNDS.max_empty_share_change,
                                          description="Largest change of a column's share of empty cells.")
    max_code_share_change: float = Field(default=_BOUNDS.max_code_share_change,
                                         description="Largest share of rows whose code of a coded column changed.")
    min_rows: int = Field(default=_BOUNDS.min_rows,
                          description="Files whose published version has fewer rows are not compared.")

    def bounds(self) -> DriftBounds:
        return DriftBounds(self.max_row_change, self.max_id_loss, self.max_empty_share_change,
                           self.max_code_share_change, self.min_rows)


def raw_asset_key(key: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", key])


def build_raw_asset(source_file: SourceFile) -> dg.AssetsDefinition:
    asset_key = raw_asset_key(source_file.key)

    @dg.asset(
        key=asset_key,
        description=(
            f"{source_file.description}\n\nFile `{source_file.path}` of the drop "
            f"(delimiter `{source_file.delimiter}`), loaded into `{source_file.table}` with every value as text."
        ),
        group_name="sources",
        kinds={"duckdb", "csv"},
        owners=[OWNER],
        tags={"source": source_file.source, "layer": "raw"},
        op_tags=WAREHOUSE_STEP,
        code_version=RAW_CODE_VERSION,
        check_specs=check_specs(raw_checks(source_file)),
        metadata={"contract_file": source_file.path, "required_columns": ", ".join(source_file.columns)},
    )
    def raw_source(context: dg.AssetExecutionContext, config: RawSourceConfig, source_drop: SourceDrop,
                   warehouse: DuckDBWarehouse):
        warehouse.refuse_inside(source_drop.root)
        with warehouse.connect() as connection:
            gated = stage_check_publish(
                connection,
                lambda c: stage_source_file(c, source_drop.root, source_file, log=context.log.info),
                lambda c, staged: evaluate_source_file(c, staged, config.bounds(), config.accept_drift_reason),
                lambda staged: staged.tables)
            yield from report(f"{source_file.table} ({source_file.path})", gated.outcomes, asset_key,
                              not_evaluated=[LAST_CHECK])
            staged = gated.staged
            context.log.info(f"published {source_file.table}")
            drift = next((o for o in gated.outcomes if o.name == LAST_CHECK), None)
            if drift is not None and drift.metadata.get("accepted"):
                record_acceptance(connection, source_file, staged.data_version, config.accept_drift_reason,
                                  context.run.run_id, "; ".join(map(str, drift.metadata.get("changes", []))))
                context.log.info(f"drift of {source_file.path} accepted and recorded in raw.drift_acceptance")
            metadata = table_metadata(connection, source_file.table)
        metadata["files"] = dg.MetadataValue.md(
            "\n".join(f"- `{f['path']}`: {f['size_bytes']:,} bytes, sha256 `{f['sha256']}`" for f in staged.files)
            or "no files (none is required)"
        )
        metadata["size_bytes"] = sum(int(f["size_bytes"]) for f in staged.files)
        if len(staged.files) == 1:
            metadata["path"] = dg.MetadataValue.path(staged.files[0]["path"])
            metadata["sha256"] = staged.files[0]["sha256"]
        yield dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(staged.data_version or "empty"))

    # A readable function name in stack traces and the UI's code references.
    raw_source.__name__ = f"raw_{source_file.key}"
    return raw_source


raw_source_assets = [build_raw_asset(source_file) for source_file in SOURCE_FILES]
