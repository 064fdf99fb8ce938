"""Semester finalization (penetapan): the job `dtsen_finalize`, partitioned by semester.

    dtsen/release ──> final/semester + final/person + final/family + final/decile + final/program + final/perubahan

Materializing partition `2026-S1` snapshots the current release into the `final` schema
(`dtsen_assets.finalize.snapshot`), exports it as Parquet with a manifest of sha256 hashes, and
refuses a semester that is already final unless `override_reason` is given.
"""

import dagster as dg
from pydantic import Field

from dtsen_assets.assets.constants import OWNER, WAREHOUSE_STEP
from dtsen_assets.assets.release import RELEASE_KEY
from dtsen_assets.finalize.export import export_root
from dtsen_assets.finalize.semester import semester_keys
from dtsen_assets.finalize.snapshot import finalize_semester, snapshot_counts
from dtsen_assets.platform.code_version import code_version
from dtsen_assets.release import blocking_check_tally
from dtsen_assets.resources import DuckDBWarehouse

SEMESTER_PARTITIONS = dg.StaticPartitionsDefinition(semester_keys())
FINAL_CODE_VERSION = code_version("final", package="finalize", extra=["change_log.py"])

SEMESTER_KEY, PERSON_KEY, FAMILY_KEY, DECILE_KEY, PROGRAM_KEY, PERUBAHAN_KEY = (
    dg.AssetKey(["final", name]) for name in ("semester", "person", "family", "decile", "program", "perubahan"))
TABLE_OF_KEY = {PERSON_KEY: "final.person", FAMILY_KEY: "final.family", DECILE_KEY: "final.decile",
                PROGRAM_KEY: "final.program", PERUBAHAN_KEY: "final.perubahan"}


class FinalizeConfig(dg.Config):
    """What a finalization records beside the snapshot."""

    sk_penetapan: str | None = Field(default=None, description=(
        "The decree that fixes the list (e.g. 'SK Mensos No 146/HUK/2020'); NULL in final.semester when not given."))
    override_reason: str | None = Field(default=None, description=(
        "Finalize a semester that is already final, for this reason (recorded in final.semester). The earlier "
        "snapshot is kept; is_current_for_semester moves to the new one. Without it a second finalization is refused."))


def _spec(key: dg.AssetKey, description: str, **extra) -> dg.AssetSpec:
    return dg.AssetSpec(key, deps=[RELEASE_KEY], description=description, group_name="final", kinds={"duckdb", "parquet"},
                        owners=[OWNER], code_version=FINAL_CODE_VERSION, partitions_def=SEMESTER_PARTITIONS,
                        tags={"layer": "final"}, **extra)


SPECS = [
    _spec(SEMESTER_KEY, "final.semester: one row per finalization of a semester: the release it froze (drop hash, code and "
                        "model versions, active persons, families), the SK penetapan, the override reason of a "
                        "re-finalization, which snapshot is current for the semester, and where its files are."),
    _spec(PERSON_KEY, "final.person: dtsen.person as it stood when the semester was finalized (semester, snapshot, and "
                      "every column of dtsen.person)."),
    _spec(FAMILY_KEY, "final.family: dtsen.family as it stood when the semester was finalized (semester, snapshot, and "
                      "every column of dtsen.family)."),
    _spec(DECILE_KEY, "final.decile: the desil, persentil and predicted per-capita consumption (with its model version) "
                      "of every scored family of the finalized semester.", skippable=True),
    _spec(PROGRAM_KEY, "final.program: program.kandidat as it stood when the semester was finalized (only once "
                       "program.kandidat exists).", skippable=True),
    _spec(PERUBAHAN_KEY, "final.perubahan: the change log of the semester against the previous finalized semester "
                         "(masuk, keluar, desil_naik, desil_turun, pindah_keluarga, each with its alasan)."),
]


@dg.multi_asset(specs=SPECS, can_subset=False, name="finalize_semester", op_tags=WAREHOUSE_STEP)
def finalize(context: dg.AssetExecutionContext, config: FinalizeConfig, warehouse: DuckDBWarehouse):
    """Freeze the current release as the semester of the partition; export and record its files."""
    semester = context.partition_key

    def run_checks_ok(run_id: str) -> bool | None:
        if context.instance.get_run_by_id(run_id) is None:
            return None
        return blocking_check_tally(context.instance, run_id).ok

    with warehouse.connect() as connection:
        row = finalize_semester(connection, semester, export_root(warehouse.database_file),
                                sk_penetapan=config.sk_penetapan, override_reason=config.override_reason,
                                run_id=context.run.run_id, run_checks_ok=run_checks_ok)
        counts = snapshot_counts(connection, semester, row["snapshot"])
    context.log.info(f"finalized {semester} (snapshot {row['snapshot']}) from release {row['release_id']}")
    files = "\n".join(f"- `{f['file']}`: {f['rows']:,} rows, sha256 `{f['sha256']}`" for f in row["files"])
    common = {"semester": semester, "snapshot": row["snapshot"], "release_id": row["release_id"]}
    yield dg.MaterializeResult(asset_key=SEMESTER_KEY, metadata={
        **common, "drop_sha256": row["drop_sha256"] or "unknown", "model_version": row["model_version"] or "none",
        "persons_active": int(row["persons_active"] or 0), "families": int(row["families"] or 0),
        "sk_penetapan": row["sk_penetapan"] or "none", "override_reason": row["override_reason"] or "none",
        "export_dir": dg.MetadataValue.path(row["export_dir"]), "files": dg.MetadataValue.md(files)})
    for key, table in TABLE_OF_KEY.items():
        if table in counts:
            yield dg.MaterializeResult(asset_key=key, metadata={**common, "table": table,
                                                                "dagster/row_count": int(counts[table])})


final_assets = [finalize]
