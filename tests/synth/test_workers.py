"""Chunks built in worker processes: the same bytes as one process building them in order."""

from __future__ import annotations

import hashlib
import json

import pytest

from dtsen_assets.synth import generate, generate_drop
from dtsen_assets.synth.identity import SerialRegistry

PERSONS, CHUNK_PERSONS = 16_000, 4_000      # about four chunks of whole districts


def _digest(root) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.csv"))}


def _summary(root) -> dict:
    summary = json.loads((root / "truth" / "summary.json").read_text())
    summary.pop("generation_seconds")
    return summary


@pytest.fixture(scope="module")
def in_order(tmp_path_factory):
    root = tmp_path_factory.mktemp("one_process")
    generate_drop(root, PERSONS, seed=31, chunk_persons=CHUNK_PERSONS, workers=1)
    assert _summary(root)["chunks"] >= 3
    return root


def test_two_workers_write_the_same_bytes(in_order, tmp_path):
    generate_drop(tmp_path, PERSONS, seed=31, chunk_persons=CHUNK_PERSONS, workers=2)
    assert _digest(tmp_path) == _digest(in_order)
    assert _summary(tmp_path) == _summary(in_order)


def test_a_chunk_whose_retired_code_niks_collide_is_built_again_in_order(in_order, tmp_path, monkeypatch):
    # Every registry (the workers' and the main process's) starts with one NIK issued, so every chunk a
    # worker built seems to collide with an earlier one and is built again in the main process in order.
    class Claimed(SerialRegistry):
        def __init__(self) -> None:
            super().__init__()
            self.issued.add(1)

    build_part, rebuilt = generate._build_part, []

    def counted(shared, index, *args):
        rebuilt.append(index)
        return build_part(shared, index, *args)

    monkeypatch.setattr(generate, "SerialRegistry", Claimed)
    monkeypatch.setattr(generate, "_build_part", counted)    # the forked workers count in their own copy
    generate_drop(tmp_path, PERSONS, seed=31, chunk_persons=CHUNK_PERSONS, workers=2)
    assert rebuilt == list(range(_summary(in_order)["chunks"]))
    assert _digest(tmp_path) == _digest(in_order)
