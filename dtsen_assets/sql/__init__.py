"""Named SQL queries: each non-trivial query lives in `sql/<group>/<name>.sql`."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load_sql(group: str, name: str) -> str:
    """The text of `sql/<group>/<name>.sql`."""
    return resources.files(__package__).joinpath(group, f"{name}.sql").read_text(encoding="utf-8")
