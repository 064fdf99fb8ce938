"""Where the PMT model artifacts live (`<model_version>.joblib`): files, never part of the warehouse or git."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from dtsen_assets.resources.settings import resolved


class ModelStore(dg.ConfigurableResource):
    """The folder the published PMT artifacts are written to and read from (the registry names the file)."""

    path: str | None = Field(
        default=None,
        description="Folder of the model artifacts; when unset, env DTSEN_MODEL_DIR, else `models/` beside the "
                    "warehouse file, where they have always been.",
    )

    def directory(self, warehouse_path: str) -> Path:
        configured = resolved(self.path, "DTSEN_MODEL_DIR", None)
        return Path(configured) if configured else Path(warehouse_path).resolve().parent / "models"
