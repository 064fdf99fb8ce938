"""What code built a table: the package's code version and the git commit, read once per process.

Every asset carries them in its definition metadata (`dtsen/code_version`, `dtsen/git_commit`),
every run of `dtsen_build` as run tags, together with a link to the audit documentation.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from functools import cache
from importlib import metadata
from pathlib import Path

import dagster as dg

ROOT = Path(__file__).resolve().parents[1]
AUDIT_DOC = ROOT / "docs" / "audit.md"
EXPLAIN_COMMAND = "python -m dtsen_assets.explain --nik N | --person-id ID | --family-id ID"


@cache
def git_commit() -> str:
    """The commit of the working tree, '+dirty' when it has changes; 'unknown' outside a git checkout."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@cache
def code_version() -> str:
    try:
        version = metadata.version("dtsen_assets")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"dtsen_assets-{version}"


def run_tags() -> dict[str, str]:
    return {"dtsen/code_version": code_version(), "dtsen/git_commit": git_commit()}


def _documentation(spec: dg.AssetSpec) -> dg.AssetSpec:
    table = spec.metadata.get("table") if spec.metadata else None
    table = getattr(table, "value", table) or ".".join(spec.key.path)
    return spec.merge_attributes(metadata={
        "dtsen/code_version": code_version(),
        "dtsen/git_commit": git_commit(),
        "audit_documentation": dg.MetadataValue.path(str(AUDIT_DOC)),
        "explain": dg.MetadataValue.md(
            f"How to explain one row of `{table}` (from NIK to desil): `{EXPLAIN_COMMAND}`; "
            f"see docs/audit.md, section *{table}*."),
    })


def with_audit_metadata(assets: Sequence) -> list:
    """The assets with their code version, git commit and a link to the explain documentation."""
    return list(dg.map_asset_specs(_documentation, assets))
