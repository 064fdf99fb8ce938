"""Where one source drop lives (a folder in the format of sources.md)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from dtsen_assets.resources.settings import resolved

DEFAULT_SOURCE_DIR = "data/drops/demo"


class SourceDrop(dg.ConfigurableResource):
    """The folder of one source drop: dukcapil/, dtks/, p3ke/, regsosek/, susenas/, verivali/."""

    source_dir: str | None = Field(
        default=None, description=f"Folder of the drop; when unset, env DTSEN_SOURCE_DIR, else {DEFAULT_SOURCE_DIR}."
    )

    @property
    def root(self) -> Path:
        return Path(resolved(self.source_dir, "DTSEN_SOURCE_DIR", DEFAULT_SOURCE_DIR))


DEFAULT_INBOX_DIR = "data/drops/inbox"


class DropInbox(dg.ConfigurableResource):
    """The folder new drops arrive in, one sub-folder per drop, each complete once its MANIFEST.json is there."""

    inbox_dir: str | None = Field(
        default=None, description=f"Folder watched for new complete drops; when unset, env DTSEN_DROP_INBOX, else "
                                  f"{DEFAULT_INBOX_DIR}."
    )

    @property
    def root(self) -> Path:
        return Path(resolved(self.inbox_dir, "DTSEN_DROP_INBOX", DEFAULT_INBOX_DIR))

    def drops(self) -> list[Path]:
        root = self.root
        return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
