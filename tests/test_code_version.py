"""One code_version rule: a hash of the Python and SQL an asset runs, so editing any of it changes the version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dtsen_assets.platform.code_version import PACKAGE_ROOT, code_version


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "dtsen_assets"
    shutil.copytree(PACKAGE_ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.mark.parametrize("group, edited", [
    ("welfare", "sql/welfare/decile.sql"),
    ("welfare", "welfare/models.py"),
    ("unify", "sql/unify/person.sql"),
    ("staging", "sql/staging/family_record.sql"),
    ("program", "program/aturan.yaml"),
    ("welfare", "checks/welfare.py"),
    ("sources", "platform/gate.py"),
])
def test_editing_a_file_the_asset_runs_changes_its_code_version(package_copy: Path, group: str, edited: str) -> None:
    before = code_version(group, root=package_copy)
    assert before == code_version(group)               # the copy hashes like the package itself
    path = package_copy / edited
    assert path.is_file(), edited
    path.write_text(path.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    after = code_version(group, root=package_copy)
    assert after != before and after.startswith(f"{group}-")


def test_editing_another_groups_sql_leaves_the_version_alone(package_copy: Path) -> None:
    before = code_version("welfare", root=package_copy)
    path = package_copy / "sql" / "unify" / "person.sql"
    path.write_text(path.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    assert code_version("welfare", root=package_copy) == before


def test_every_asset_follows_the_rule() -> None:
    from dtsen_assets.definitions import defs
    graph = defs.resolve_asset_graph()
    expected = {"welfare": code_version("welfare"), "unify": code_version("unify"), "program": code_version("program"),
                "sources": code_version("sources", extra=["contract.py", "vital.py", "checks/drift.py",
                                                          "checks/expectations.py"])}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue
        assert node.code_version and "-" in node.code_version, key
        if node.group_name in expected:
            assert node.code_version == expected[node.group_name], key
    decile = graph.get(next(k for k in graph.get_all_asset_keys() if k.to_user_string() == "welfare/decile"))
    assert decile.code_version == code_version("welfare")
