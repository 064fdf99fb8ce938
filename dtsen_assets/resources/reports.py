"""Where the Dinas Sosial reports are written (HTML, CSV, XLSX): files, never part of the warehouse or git."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field


class ReportsDirectory(dg.ConfigurableResource):
    """The folder the report asset writes each release's report into (a sub-folder per release)."""

    path: str | None = Field(
        default=None,
        description="Folder for the reports (env DTSEN_REPORTS_DIR); when unset, `laporan/` beside the warehouse file.",
    )

    def root(self, warehouse_path: str) -> Path:
        return Path(self.path) if self.path else Path(warehouse_path).parent / "laporan"
