"""When a drop is complete: its `MANIFEST.json`, written last, lists every file with size and sha256.

A drop is copied file by file, so a folder that merely exists may be half copied. The sender
(or whoever copies the drop) writes `MANIFEST.json` after every other file is in place:

    python -m dtsen_assets.drop_manifest /data/inbox/drop-2026-07

A drop is complete when its manifest exists, lists every file the contract requires, and every
listed file is present with the listed size (the sensor checks sizes, which is cheap; the hashes
are the drop's identity: the same manifest never starts a second build).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from dtsen_assets.contract import SOURCE_FILES
from dtsen_assets.finalize.export import sha256_of

MANIFEST_NAME = "MANIFEST.json"


def write_manifest(drop: Path) -> Path:
    """List every file of the drop (truth/ and the manifest itself left out); write MANIFEST.json last."""
    files = []
    for path in sorted(p for p in drop.rglob("*") if p.is_file()):
        relative = path.relative_to(drop).as_posix()
        if relative == MANIFEST_NAME or relative.startswith("truth/"):
            continue
        files.append({"path": relative, "size_bytes": path.stat().st_size, "sha256": sha256_of(path)})
    target = drop / MANIFEST_NAME
    partial = drop / f".{MANIFEST_NAME}.partial"
    partial.write_text(json.dumps({"files": files}, indent=2) + "\n", encoding="utf-8")
    partial.replace(target)   # appears whole or not at all
    return target


@dataclass(frozen=True)
class DropState:
    drop: Path
    complete: bool
    reason: str
    manifest_sha256: str | None = None


def drop_state(drop: Path) -> DropState:
    """Whether `drop` is complete by its manifest, and if not, why (names files, never contents)."""
    manifest = drop / MANIFEST_NAME
    if not manifest.is_file():
        return DropState(drop, False, f"no {MANIFEST_NAME} yet (it is written last)")
    text = manifest.read_bytes()
    try:
        files = {f["path"]: int(f["size_bytes"]) for f in json.loads(text)["files"]}
    except (ValueError, KeyError, TypeError):
        return DropState(drop, False, f"{MANIFEST_NAME} is not readable")
    required = [s.path for s in SOURCE_FILES if not s.many_files]
    missing_from_manifest = [p for p in required if p not in files]
    if missing_from_manifest:
        return DropState(drop, False, f"{MANIFEST_NAME} does not list {', '.join(missing_from_manifest)}")
    for relative, size in sorted(files.items()):
        path = drop / relative
        if not path.is_file():
            return DropState(drop, False, f"{relative} is listed but not there yet")
        if path.stat().st_size != size:
            return DropState(drop, False, f"{relative} has {path.stat().st_size} of {size} bytes")
    return DropState(drop, True, "complete", hashlib.sha256(text).hexdigest())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dtsen_assets.drop_manifest",
                                     description="Write MANIFEST.json into a drop whose files are all in place.")
    parser.add_argument("drop", type=Path)
    args = parser.parse_args(argv)
    print(write_manifest(args.drop))


if __name__ == "__main__":
    main()
