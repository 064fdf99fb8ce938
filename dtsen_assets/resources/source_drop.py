"""Where one source drop lives (a folder in the format of sources.md)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

DEFAULT_SOURCE_DIR = "data/drops/demo"


class SourceDrop(dg.ConfigurableResource):
    """The folder of one source drop: dukcapil/, dtks/, p3ke/, regsosek/, susenas/, verivali/."""

    source_dir: str = Field(
        default=DEFAULT_SOURCE_DIR, description="Folder of the drop (env DTSEN_SOURCE_DIR)."
    )

    @property
    def root(self) -> Path:
        return Path(self.source_dir)

    def files(self, pattern: str) -> list[Path]:
        """Files matching a path or glob relative to the drop, sorted for a stable order."""
        if any(ch in pattern for ch in "*?["):
            return sorted(self.root.glob(pattern))
        return [self.root / pattern]


DEFAULT_INBOX_DIR = "data/drops/inbox"


class DropInbox(dg.ConfigurableResource):
    """The folder new drops arrive in, one sub-folder per drop, each complete once its MANIFEST.json is there."""

    inbox_dir: str = Field(
        default=DEFAULT_INBOX_DIR, description="Folder watched for new complete drops (env DTSEN_DROP_INBOX)."
    )

    def drops(self) -> list[Path]:
        root = Path(self.inbox_dir)
        return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
