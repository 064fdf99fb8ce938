"""Audit: the explain command as an asset, for a configured list of persons and families.

`audit/explanation` writes one row per configured person_id / family_id to audit.explanation (the
masked explanation as JSON and as text, built by `dtsen_assets.explain` from the published tables)
and shows the masked text in its metadata. It is not part of dtsen_build: an auditor materializes
it from the UI (Launchpad config: person_ids, family_ids) after a build. docs/audit.md.
"""


import datetime as dt
import json

import dagster as dg
import pandas as pd
from pydantic import Field

from dtsen_assets.assets.constants import OWNER, WAREHOUSE_STEP
from dtsen_assets.explain import ExplainQuery, explain, render_text
from dtsen_assets.platform.code_version import code_version
from dtsen_assets.platform.gate import report, stage_check_publish
from dtsen_assets.platform.publish import column_schema
from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.warehouse import row_count, staging_table

EXPLANATION_TABLE = "audit.explanation"
GROUP = "audit"
AUDIT_DOC = "docs/audit.md"


class ExplainListConfig(dg.Config):
    person_ids: list[str] = Field(default_factory=list, description="person_id values of dtsen.person to explain")
    family_ids: list[str] = Field(default_factory=list, description="family_id values of dtsen.family to explain")


def build_explanations(connection, config: ExplainListConfig) -> pd.DataFrame:
    """One row per configured id: kind, id, found, desil, the masked explanation as JSON and as text."""
    created = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    rows = []
    queries = [ExplainQuery("person_id", p) for p in config.person_ids] + \
              [ExplainQuery("family_id", f) for f in config.family_ids]
    for query in queries:
        result = explain(connection, query, unmask=False)
        desil = next((f["welfare"].get("desil") for f in result["families"] if f["welfare"].get("scored")), None)
        rows.append({"query_kind": query.kind, "query_id": query.value, "found": result["found"], "desil": desil,
                     "explanation_json": json.dumps(result, ensure_ascii=False, default=str),
                     "explanation_text": render_text(result), "created_at": created})
    return pd.DataFrame(rows, columns=["query_kind", "query_id", "found", "desil", "explanation_json",
                                       "explanation_text", "created_at"])


def stage_explanations(connection, config: ExplainListConfig) -> pd.DataFrame:
    """`audit.explanation__staging` from the configured ids; returns the rows."""
    frame = build_explanations(connection, config)
    connection.execute("CREATE SCHEMA IF NOT EXISTS audit")
    connection.register("audit_explanation_frame", frame)
    connection.execute(f"""CREATE OR REPLACE TABLE {staging_table(EXPLANATION_TABLE)} AS
        SELECT query_kind::VARCHAR AS query_kind,
        query_id::VARCHAR AS query_id, found::BOOLEAN AS found, desil::INTEGER AS desil,
        explanation_json::VARCHAR AS explanation_json, explanation_text::VARCHAR AS explanation_text,
        created_at::TIMESTAMP AS created_at FROM audit_explanation_frame""")
    connection.unregister("audit_explanation_frame")
    return frame


@dg.asset(
    key=["audit", "explanation"],
    op_tags=WAREHOUSE_STEP,
    group_name=GROUP,
    owners=[OWNER],
    kinds={"duckdb"},
    code_version=code_version("audit", package="explain"),
    deps=[dg.AssetKey(["welfare", "explanation"]), dg.AssetKey(["welfare", "decile"]),
          dg.AssetKey(["unify", "match_evidence"]), dg.AssetKey(["unify", "family_value_source"]),
          dg.AssetKey(["unify", "person_value_source"])],
    metadata={"table": EXPLANATION_TABLE, "documentation": dg.MetadataValue.md(
        f"How to read it and how to trace a complaint from NIK to desil: `{AUDIT_DOC}`; "
        "command line: `python -m dtsen_assets.explain --help`")},
)
def explanation(context: dg.AssetExecutionContext, config: ExplainListConfig, warehouse: DuckDBWarehouse):
    """The explain command for the configured persons and families (masked): every source record and how it was
    linked, where each value came from, verivali, the PMT score and its factors, the desil and its cut points."""
    with warehouse.connect() as connection:
        # through the gate like every asset; the audit group declares no check
        gated = stage_check_publish(connection, lambda c: stage_explanations(c, config), lambda c, _: [],
                                    [EXPLANATION_TABLE])
        yield from report("audit.explanation", gated.outcomes)
        frame = gated.staged
        count = row_count(connection, EXPLANATION_TABLE)
        schema = column_schema(connection, EXPLANATION_TABLE)
    texts = "\n\n".join(f"```\n{t}\n```" for t in frame["explanation_text"]) or "no person_id or family_id configured"
    context.log.info(f"explained {len(frame)} persons/families (masked)")
    yield dg.MaterializeResult(metadata={
        "table": EXPLANATION_TABLE, "dagster/row_count": count, "dagster/column_schema": schema,
        "explanations": dg.MetadataValue.md(texts),
        "not_found": dg.MetadataValue.json(frame.loc[~frame["found"].astype(bool), "query_id"].tolist()
                                           if len(frame) else []),
    })


audit_assets = [explanation]
