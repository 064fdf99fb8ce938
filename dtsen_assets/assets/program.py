"""Program: candidates for PKH, BPNT, PBI-JK and KIP Kuliah, today's recipients against the rules, the
village worklist that closes every decision, Cek Bansos, and the Dinas Sosial report.

    welfare.decile + dtsen.* + unify.verivali_outcome + raw.cekbansos_*  (+ aturan.yaml, the rules)
        ──> program/kandidat + program/penerima_banding + program/usulan + program/tugas_verifikasi
        ──> program/laporan_dinsos (HTML + CSV/XLSX per kabupaten/kota, outside the warehouse)

One multi-asset goes through the gate: the stage (`dtsen_assets.program.build`) builds each table under
`<table>__staging`, the checks of `dtsen_assets.checks.program` judge them, and the tables are published
together only when every blocking check passed.
"""


import datetime as dt

import dagster as dg
import pandas as pd
from pydantic import Field

from dtsen_assets.assets.constants import OWNER, WAREHOUSE_STEP
from dtsen_assets.checks import program as checks
from dtsen_assets.platform.code_version import code_version
from dtsen_assets.platform.gate import check_specs, report, stage_check_publish
from dtsen_assets.platform.publish import table_metadata
from dtsen_assets.program.build import (
    ATURAN_TABLE,
    KANDIDAT_TABLE,
    PENERIMA_BANDING_TABLE,
    PENERIMA_STATUS_TABLE,
    PROGRAM_TABLES,
    TUGAS_TABLE,
    USULAN_TABLE,
    UpstreamTables,
    build_program_tables,
    recipient_summary,
)
from dtsen_assets.program.report import SECTIONS, release_facts, write_report
from dtsen_assets.program.rules import default_rules_path, load_rules
from dtsen_assets.resources import DuckDBWarehouse, ReportsDirectory

PROGRAM_CODE_VERSION = code_version("program")
GROUP = "program"
UPSTREAM = UpstreamTables()

KANDIDAT_KEY = checks.KANDIDAT
BANDING_KEY = checks.PENERIMA_BANDING
USULAN_KEY = checks.USULAN
TUGAS_KEY = checks.TUGAS
LAPORAN_KEY = dg.AssetKey(["program", "laporan_dinsos"])
DEPS = [dg.AssetKey(["welfare", "decile"]), dg.AssetKey(["dtsen", "person"]), dg.AssetKey(["dtsen", "family"]),
        dg.AssetKey(["dtsen", "person_source"]), dg.AssetKey(["unify", "verivali_outcome"]),
        dg.AssetKey(["staging", "person_record"]), dg.AssetKey(["staging", "family_record"]),
        dg.AssetKey(["staging", "verivali_decision"]), dg.AssetKey(["raw", "cekbansos_usul"]),
        dg.AssetKey(["raw", "cekbansos_sanggah"])]
TABLE_OF_KEY = {KANDIDAT_KEY: KANDIDAT_TABLE, BANDING_KEY: PENERIMA_BANDING_TABLE, USULAN_KEY: USULAN_TABLE,
                TUGAS_KEY: TUGAS_TABLE}


class ProgramConfig(dg.Config):
    """Which rule file, and the date ages are counted at."""

    rules_path: str | None = Field(default=None, description=(
        f"The program rule file (YAML); the shipped one ({default_rules_path().name} in dtsen_assets/program/) when unset."))
    as_of_date: str | None = Field(default=None, description=(
        "Date ages are counted at and the worklist is dated (YYYY-MM-DD); today when unset."))

    def as_of(self) -> dt.date:
        return dt.date.fromisoformat(self.as_of_date) if self.as_of_date else dt.date.today()


def _output(key: dg.AssetKey, description: str, **metadata: str) -> dg.AssetSpec:
    """One table of the program multi-asset."""
    return dg.AssetSpec(key, kinds={"duckdb"}, group_name=GROUP, owners=[OWNER], code_version=PROGRAM_CODE_VERSION,
                        deps=DEPS, tags={"layer": "program"}, metadata={"table": TABLE_OF_KEY[key], **metadata},
                        description=description)


OUTPUT_SPECS = [
    _output(KANDIDAT_KEY, (
                     "program.kandidat: who is a candidate for PKH, BPNT, PBI-JK and KIP Kuliah, one row per program x "
                     "unit (a family, or a person for PBI-JK and KIP Kuliah), by the rules of dtsen_assets/program/"
                     "aturan.yaml: desil 1-4 layak, desil 5 perlu_asesmen; PKH needs a member with a component (child "
                     "under 6, school-age 6-21 in school, 60+, severe disability); KIP Kuliah ages 18-24; a family a "
                     "village meeting declared MAMPU is ditunda for every program until a field check decides."), contract="shared/spec/outputs.md"),
    _output(BANDING_KEY, (
                     "program.penerima_banding: today's DTKS recipients (PKH, BPNT, PBI_JK flags) against the rules, per "
                     "program and kabupaten/kota: who stays, who would leave and why (desil too high, died, moved, MAMPU, "
                     "no PKH component), and layak families not receiving; per recipient in program.penerima_status.")),
    _output(USULAN_KEY, (
                     "program.usulan: every Cek Bansos proposal (cekbansos/usul.csv) matched to DTSEN by NIK: registered "
                     "or not, desil, the rule met (layak / perlu_asesmen / ditunda) or missed and why. A proposal never "
                     "changes a desil; one not registered is queued for registration in its village.")),
    _output(TUGAS_KEY, (
                     "program.tugas_verifikasi: the village worklist. Every village-meeting decision ends in a state "
                     "(diterapkan, ditolak with the reason, menunggu_cek_lapangan, menunggu_registrasi with the data "
                     "still missing); Cek Bansos objections go here with the listed person's current status. A later "
                     "drop closes a task when Dukcapil or a later meeting confirms or overrules it.")),
]
CHECK_SPECS = check_specs(checks.PROGRAM_CHECKS)


def _counts(connection, query: str) -> dg.MetadataValue:
    frame: pd.DataFrame = connection.execute(query).df()
    return dg.MetadataValue.md(frame.to_markdown(index=False) if not frame.empty else "none")


@dg.multi_asset(specs=OUTPUT_SPECS, check_specs=CHECK_SPECS, can_subset=False, name="program_tables",
                op_tags=WAREHOUSE_STEP)
def program_tables(context: dg.AssetExecutionContext, config: ProgramConfig, warehouse: DuckDBWarehouse):
    """Apply the program rules to the current tables; close every village decision; publish after the checks."""
    rules = load_rules(config.rules_path)
    as_of = config.as_of()
    with warehouse.connect() as connection:
        gated = stage_check_publish(
            connection, lambda c: build_program_tables(c, rules, as_of, UPSTREAM, log=context.log.info),
            lambda c, staged: [
                checks.check_kandidat_unit_unique(c, staged[KANDIDAT_TABLE]),
                checks.check_kandidat_sesuai_aturan(c, staged[KANDIDAT_TABLE], staged[ATURAN_TABLE],
                                                    UPSTREAM.decile, UPSTREAM.person, as_of),
                checks.check_tugas(c, staged[TUGAS_TABLE], UPSTREAM.verivali_outcome, UPSTREAM.sanggah_raw),
                checks.check_usulan(c, staged[USULAN_TABLE], UPSTREAM.usul_raw),
                checks.check_penerima(c, staged[PENERIMA_STATUS_TABLE], UPSTREAM.family_record),
            ],
            PROGRAM_TABLES)
        yield from report("program.* tables", gated.outcomes, checks.CHECK_ASSET)
        # family ids may be derived from a family card number: masked in the previews
        metadata = {key: table_metadata(connection, table, order="1, 2, 3", masked_ids=("family_id", "person_id"))
                    for key, table in TABLE_OF_KEY.items()}
        metadata[KANDIDAT_KEY]["status"] = _counts(connection, f"""
            SELECT program, status, count(DISTINCT family_id) AS keluarga, count(person_id) AS orang
            FROM {KANDIDAT_TABLE} GROUP BY ALL ORDER BY ALL""")
        metadata[KANDIDAT_KEY]["aturan"] = dg.MetadataValue.md(
            rules.rule_frame()[["aturan", "program", "unit", "desil_layak_maks", "desil_asesmen_maks", "umur_min",
                                "umur_maks", "perlu_komponen"]].to_markdown(index=False))
        metadata[KANDIDAT_KEY]["rules_file"] = dg.MetadataValue.path(str(config.rules_path or default_rules_path()))
        summary = recipient_summary(connection)
        metadata[BANDING_KEY]["perbandingan"] = dg.MetadataValue.md(summary.to_markdown(index=False) if not summary.empty else "none")
        metadata[USULAN_KEY]["status"] = _counts(connection, f"SELECT program, status, count(*) AS usulan FROM {USULAN_TABLE} GROUP BY ALL ORDER BY ALL")
        metadata[TUGAS_KEY]["status"] = _counts(connection, f"SELECT sumber, jenis, status, count(*) AS tugas FROM {TUGAS_TABLE} GROUP BY ALL ORDER BY ALL")
        metadata[TUGAS_KEY]["tugas_terbuka"] = int(connection.execute(f"SELECT count(*) FROM {TUGAS_TABLE} WHERE terbuka").fetchone()[0])
    for key, values in metadata.items():
        yield dg.MaterializeResult(asset_key=key, metadata=values)


@dg.asset(
    key=LAPORAN_KEY,
    deps=[KANDIDAT_KEY, BANDING_KEY, TUGAS_KEY, USULAN_KEY, dg.AssetKey(["welfare", "decile"]),
          dg.AssetKey(["staging", "wilayah"])],
    group_name=GROUP, owners=[OWNER], code_version=PROGRAM_CODE_VERSION, kinds={"html", "csv", "excel"},
    tags={"layer": "program"},
    op_tags=WAREHOUSE_STEP,
    description=(
        "The Dinas Sosial report of this release: one self-contained HTML page (" + ", ".join(SECTIONS.values())
        + ") with matplotlib plots, and per kabupaten/kota a CSV per section and an XLSX workbook. Written to the "
        "reports directory (resource `reports`; default `laporan/` beside the warehouse), a folder per release; "
        "the metadata links the page. Counts only: no personal data."),
)
def laporan_dinsos(context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse, reports: ReportsDirectory):
    """Write the report files of this release and link them from the metadata."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    directory = reports.root(warehouse.database_file) / f"rilis_{stamp}_{context.run.run_id[:8]}"
    with warehouse.connect() as connection:
        files = write_report(connection, directory, release_facts(connection, context.run.run_id))
    html_path = files.html.resolve()
    return dg.MaterializeResult(metadata={
        "laporan": dg.MetadataValue.path(str(html_path)),
        "laporan_url": dg.MetadataValue.url(html_path.as_uri()),
        "folder": dg.MetadataValue.path(str(files.directory.resolve())),
        "kabupaten_kota": len({p.parent.name for p in files.regency_files}),
        "files": len(files.regency_files) + 1,
        "sections": ", ".join(files.sections),
    })


program_assets = [program_tables, laporan_dinsos]
