"""The program rules (`aturan.yaml`), validated at load, and written as tables the SQL reads.

The SQL of `sql/program/` never holds a threshold: it joins the rules as two small tables,
`<work>.aturan` (one row per rule) and `<work>.aturan_komponen` (one row per PKH-style component).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PROGRAMS = ("PKH", "BPNT", "PBI_JK", "KIP_KULIAH")
DEFAULT_RULES_FILE = "aturan.yaml"


class RulesError(ValueError):
    """The rule file does not validate: the message names the file, the rule and the field."""


class Komponen(BaseModel):
    """A member that makes the family eligible (PKH): an age band, and/or in school, and/or a disability."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z_]+$")
    uraian: str = Field(min_length=3, description="what the component is, in words")
    umur_min: int | None = Field(default=None, ge=0, le=120)
    umur_maks: int | None = Field(default=None, ge=0, le=120)
    harus_sekolah: bool = False
    harus_disabilitas: bool = False

    @model_validator(mode="after")
    def _something_to_check(self) -> Komponen:
        if self.umur_min is None and self.umur_maks is None and not (self.harus_sekolah or self.harus_disabilitas):
            raise ValueError("a component needs an age band, harus_sekolah or harus_disabilitas")
        if self.umur_min is not None and self.umur_maks is not None and self.umur_min > self.umur_maks:
            raise ValueError(f"umur_min {self.umur_min} is above umur_maks {self.umur_maks}")
        return self


class Aturan(BaseModel):
    """One program rule."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Z][A-Z0-9_-]+$")
    program: Literal["PKH", "BPNT", "PBI_JK", "KIP_KULIAH"]
    unit: Literal["keluarga", "orang"]
    dasar_hukum: str = Field(min_length=10, description="the legal basis, in words")
    desil_layak_maks: int = Field(ge=1, le=10, description="families up to this desil are layak")
    desil_asesmen_maks: int = Field(ge=1, le=10, description="up to this desil perlu_asesmen (by assessment)")
    umur_min: int | None = Field(default=None, ge=0, le=120, description="persons: youngest age (orang rules)")
    umur_maks: int | None = Field(default=None, ge=0, le=120, description="persons: oldest age (orang rules)")
    komponen: list[Komponen] = Field(default_factory=list, description="keluarga rules: at least one member with one")

    @model_validator(mode="after")
    def _consistent(self) -> Aturan:
        if self.desil_asesmen_maks < self.desil_layak_maks:
            raise ValueError("desil_asesmen_maks must be at least desil_layak_maks")
        if self.unit == "keluarga" and (self.umur_min is not None or self.umur_maks is not None):
            raise ValueError("umur_min/umur_maks apply to persons: use a komponen for a family rule")
        if self.unit == "orang" and self.komponen:
            raise ValueError("komponen apply to families (unit keluarga)")
        if self.umur_min is not None and self.umur_maks is not None and self.umur_min > self.umur_maks:
            raise ValueError(f"umur_min {self.umur_min} is above umur_maks {self.umur_maks}")
        if len({k.id for k in self.komponen}) != len(self.komponen):
            raise ValueError("component ids repeat")
        return self


class ProgramRules(BaseModel):
    """The whole rule file."""

    model_config = ConfigDict(extra="forbid")

    musdes_mampu_ditunda: bool = True
    aturan: list[Aturan] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_rule_per_program(self) -> ProgramRules:
        ids = [a.id for a in self.aturan]
        if len(set(ids)) != len(ids):
            raise ValueError("rule ids repeat")
        programs = [a.program for a in self.aturan]
        if len(set(programs)) != len(programs):
            raise ValueError("one rule per program (a person or family has one status per program)")
        return self

    def by_program(self) -> dict[str, Aturan]:
        return {a.program: a for a in self.aturan}

    def rule_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "aturan": a.id, "program": a.program, "unit": a.unit, "dasar_hukum": a.dasar_hukum,
            "desil_layak_maks": a.desil_layak_maks, "desil_asesmen_maks": a.desil_asesmen_maks,
            "umur_min": a.umur_min, "umur_maks": a.umur_maks, "perlu_komponen": bool(a.komponen),
        } for a in self.aturan]).astype({"umur_min": "Int64", "umur_maks": "Int64"})

    def component_frame(self) -> pd.DataFrame:
        rows = [{
            "aturan": a.id, "komponen": k.id, "uraian": k.uraian, "umur_min": k.umur_min, "umur_maks": k.umur_maks,
            "harus_sekolah": k.harus_sekolah, "harus_disabilitas": k.harus_disabilitas,
        } for a in self.aturan for k in a.komponen]
        columns = ["aturan", "komponen", "uraian", "umur_min", "umur_maks", "harus_sekolah", "harus_disabilitas"]
        return pd.DataFrame(rows, columns=columns).astype({"umur_min": "Int64", "umur_maks": "Int64"})


def default_rules_path() -> Path:
    return Path(str(resources.files("dtsen_assets.program").joinpath(DEFAULT_RULES_FILE)))


def load_rules(path: str | Path | None = None) -> ProgramRules:
    """Read and validate the rule file (default: the `aturan.yaml` shipped with the package)."""
    path = Path(path) if path else default_rules_path()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise RulesError(f"rule file {path} cannot be read: {error}") from None
    return parse_rules(document, str(path))


def parse_rules(document: object, where: str = "rules") -> ProgramRules:
    try:
        return ProgramRules.model_validate(document)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            location = list(item["loc"])
            if len(location) >= 2 and location[0] == "aturan" and isinstance(location[1], int):
                rules = document.get("aturan", []) if isinstance(document, dict) else []
                rule_id = rules[location[1]].get("id") if location[1] < len(rules) and isinstance(rules[location[1]], dict) else None
                location[1] = f"{location[1]} ({rule_id})" if rule_id else location[1]
            problems.append(f"{'.'.join(str(p) for p in location) or 'file'}: {item['msg']}")
        raise RulesError(f"rule file {where} is not valid: " + "; ".join(problems)) from None


def write_rule_tables(connection: duckdb.DuckDBPyConnection, rules: ProgramRules, schema: str) -> None:
    """`<schema>.aturan` and `<schema>.aturan_komponen`, the rules as the SQL reads them."""
    # registered by name: a replacement scan would not see these locals through a run-scoped connection
    connection.register("rule_frame", rules.rule_frame())
    connection.register("component_frame", rules.component_frame())
    connection.execute(f"CREATE OR REPLACE TABLE {schema}.aturan AS SELECT * FROM rule_frame")
    connection.execute(
        f"""CREATE OR REPLACE TABLE {schema}.aturan_komponen AS
            SELECT aturan::VARCHAR AS aturan, komponen::VARCHAR AS komponen, uraian::VARCHAR AS uraian,
                   umur_min::INTEGER AS umur_min, umur_maks::INTEGER AS umur_maks,
                   harus_sekolah::BOOLEAN AS harus_sekolah, harus_disabilitas::BOOLEAN AS harus_disabilitas
            FROM component_frame"""
    )
    connection.unregister("rule_frame")
    connection.unregister("component_frame")
