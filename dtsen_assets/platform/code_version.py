"""One code_version rule for every asset: a hash of the Python and SQL the asset runs.

An asset of group `g` runs its stage package `dtsen_assets/<package>/`, its SQL `dtsen_assets/sql/<package>/`,
its checks `dtsen_assets/checks/<g>.py`, its asset module `dtsen_assets/assets/<g>.py` and the shared
platform (`dtsen_assets/platform/`, `warehouse.py`). Their bytes (and relative paths) are hashed, so
editing any of them, e.g. `sql/welfare/decile.sql`, changes the code_version of the assets that run
it, and Dagster marks them changed. Reference data an asset loads (the codebook) is passed as `extra`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
# What counts as code in a package folder: Python, SQL, and the rule files staging and program read.
CODE_SUFFIXES = (".py", ".sql", ".csv", ".yaml")
# Every asset runs through these.
SHARED = ("platform", "warehouse.py")


def _files(root: Path, part: str | Path) -> list[Path]:
    path = Path(part) if Path(part).is_absolute() else root / part
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in CODE_SUFFIXES
                      and "__pycache__" not in p.parts)
    return [path] if path.is_file() else []


def hash_files(parts: Iterable[str | Path], root: Path = PACKAGE_ROOT) -> str:
    """sha256 over the relative path and bytes of every code file under `parts` (files or folders)."""
    digest = hashlib.sha256()
    files = sorted({f for part in parts for f in _files(root, part)})
    for path in files:
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def code_version(group: str, package: str | None = None, extra: Iterable[str | Path] = (),
                 root: Path = PACKAGE_ROOT) -> str:
    """`<group>-<hash>` of the code an asset of `group` runs (its stage `package`, default the group's name)."""
    package = package or group
    parts = [package, f"sql/{package}", f"checks/{group}.py", f"assets/{group}.py", *SHARED, *extra]
    return f"{group}-{hash_files(parts, root)}"
