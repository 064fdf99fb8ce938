"""Where the Dinas Sosial reports are written (HTML, CSV, XLSX): files, never part of the warehouse or git."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from dtsen_assets.resources.settings import resolved


class ReportsDirectory(dg.ConfigurableResource):
    """The folder the report asset writes each release's report into (a sub-folder per release)."""

    path: str | None = Field(
        default=None,
        description="Folder for the reports; when unset, env DTSEN_REPORTS_DIR, else `laporan/` beside the warehouse file.",
    )

    def root(self, warehouse_path: str) -> Path:
        configured = resolved(self.path, "DTSEN_REPORTS_DIR", None)
        return Path(configured) if configured else Path(warehouse_path).parent / "laporan"
