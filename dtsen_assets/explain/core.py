"""The explanation of one person or family, gathered from the published tables.

`explain(connection, query)` returns a plain dict (JSON-ready): the persons it concerns, each with
every source record and how it was linked (unify.match_evidence), the source of each of the person's
values (unify.person_value_source), the village-meeting decisions about them (unify.verivali_outcome)
and Cek Bansos items when such a table exists; the family with the source of each value
(unify.family_value_source), its PMT score, the factors that moved it (welfare.explanation), its desil,
the cut points on both sides (welfare.desil_batas) and what the score would need to cross into the
next desil; and the release, run, drop hash and code/model versions (dtsen.release, when it exists).

Personal data (NIK, NO_KK, names, birth dates, addresses) is masked with `dtsen_assets.pii` unless
`unmask=True`; the caller (the command line, `__main__.py`) logs unmasked use in audit.unmask_log.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from dtsen_assets.pii import mask_value
from dtsen_assets.platform.sql import count_rows
from dtsen_assets.platform.vocabulary import WELFARE_VARIABLES
from dtsen_assets.release import FAMILY_TABLE, PERSON_TABLE, RELEASE_TABLE, SCORE_TABLE
from dtsen_assets.staging.person import PERSON_RECORD_TABLE
from dtsen_assets.unify.families import HEAD_VARIABLES, MEMBER_VARIABLES
from dtsen_assets.warehouse import table_exists

# What unify decided and why (lineage and evidence tables)
PERSON_SOURCE_TABLE = "dtsen.person_source"
MATCH_EVIDENCE_TABLE = "unify.match_evidence"
PERSON_VALUE_SOURCE_TABLE = "unify.person_value_source"
FAMILY_VALUE_SOURCE_TABLE = "unify.family_value_source"
VERIVALI_OUTCOME_TABLE = "unify.verivali_outcome"
# What welfare scored and why
SCORE_DETAIL_TABLE = "welfare.pmt_score_detail"
DECILE_TABLE = "welfare.decile"
CUT_POINT_TABLE = "welfare.desil_batas"
EXPLANATION_TABLE = "welfare.explanation"
BELUM_TERDATA_TABLE = "welfare.belum_terdata"
KINDS = ("nik", "person_id", "family_id")
# Family columns shown in full beside their source (the welfare variables come with <v>_source).
FAMILY_HEADLINE = ("family_id", "no_kk", "kode_desa", "kode_kab", "jumlah_art")


@dataclass(frozen=True)
class ExplainQuery:
    kind: str       # nik / person_id / family_id
    value: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")


class Masker:
    def __init__(self, unmask: bool) -> None:
        self.unmask = unmask

    def value(self, column: str, value: Any) -> Any:
        value = _plain(value)
        return value if self.unmask else mask_value(column, value)

    def row(self, row: dict[str, Any]) -> dict[str, Any]:
        return {k: self.value(k, v) for k, v in row.items()}


def _plain(value: Any) -> Any:
    """JSON-ready: dates as ISO text, decimals as floats, NaN as None."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


# ----------------------------------------------------------------------------------------------
# Finding the persons and the family
# ----------------------------------------------------------------------------------------------

def find_person_ids(connection: duckdb.DuckDBPyConnection, query: ExplainQuery) -> list[str]:
    """The persons a query is about: by NIK, the person Dukcapil confirms it for and every person a
    source record that wrote this NIK became (a corrected NIK finds the person too); by family, its members."""
    if query.kind == "person_id":
        found = connection.execute(f"SELECT person_id FROM {PERSON_TABLE} WHERE person_id = ?", [query.value]).fetchall()
    elif query.kind == "family_id":
        found = connection.execute(f"SELECT person_id FROM {PERSON_TABLE} WHERE family_id = ? "
                                   "ORDER BY is_active DESC, person_id", [query.value]).fetchall()
    else:
        found = connection.execute(f"""
            SELECT DISTINCT person_id FROM (
                SELECT person_id FROM {PERSON_TABLE} WHERE nik = $1
                UNION ALL
                SELECT s.person_id FROM {PERSON_RECORD_TABLE} r
                JOIN {PERSON_SOURCE_TABLE} s USING (source, source_record_id)
                WHERE (r.nik = $1 OR r.nik_raw = $1) AND s.person_id IS NOT NULL
            ) ORDER BY person_id""", [query.value]).fetchall()
    return [row[0] for row in found]


def explain(connection: duckdb.DuckDBPyConnection, query: ExplainQuery, unmask: bool = False) -> dict[str, Any]:
    """Everything the warehouse knows about why a person or family is where it is (see module doc)."""
    masker = Masker(unmask)
    person_ids = find_person_ids(connection, query)
    family_ids: list[str] = []
    if query.kind == "family_id":
        if count_rows(connection, FAMILY_TABLE, "family_id = ?", [query.value]):
            family_ids = [query.value]
    else:
        for person_id in person_ids:
            family = connection.execute(f"SELECT family_id FROM {PERSON_TABLE} WHERE person_id = ?",
                                        [person_id]).fetchone()
            if family and family[0] and family[0] not in family_ids:
                family_ids.append(family[0])
    shown_query = query.value if unmask or query.kind != "nik" else mask_value("nik", query.value)
    return {
        "query": {"kind": query.kind, "value": shown_query},
        "masked": not unmask,
        "found": bool(person_ids or family_ids),
        "release": release_info(connection),
        "persons": [person_section(connection, pid, masker)
                    for pid in person_ids],
        "families": [family_section(connection, fid, masker) for fid in family_ids],
    }


def explain_many(connection: duckdb.DuckDBPyConnection, queries: list[ExplainQuery],
                 unmask: bool = False) -> list[dict[str, Any]]:
    return [explain(connection, q, unmask) for q in queries]


# ----------------------------------------------------------------------------------------------
# Release
# ----------------------------------------------------------------------------------------------

def release_info(connection: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The current release (dtsen.release), or, in a warehouse without one, the model version only."""
    if table_exists(connection, RELEASE_TABLE):
        rows = _rows(connection, f"SELECT * FROM {RELEASE_TABLE} WHERE is_current")
        if rows:
            return {"available": True, **{k: _plain(v) for k, v in rows[0].items()}}
    info: dict[str, Any] = {"available": False,
                            "note": "this warehouse has no dtsen.release table: drop hash, run and code version unknown"}
    if table_exists(connection, SCORE_TABLE):
        versions = [r[0] for r in connection.execute(f"SELECT DISTINCT model_version FROM {SCORE_TABLE} ORDER BY 1").fetchall()]
        info["model_version"] = versions[0] if len(versions) == 1 else versions
    return info


# ----------------------------------------------------------------------------------------------
# Person
# ----------------------------------------------------------------------------------------------

def person_section(connection: duckdb.DuckDBPyConnection, person_id: str, masker: Masker,
                   with_records: bool = True) -> dict[str, Any]:
    person = _rows(connection, f"SELECT * FROM {PERSON_TABLE} WHERE person_id = ?", [person_id])[0]
    sources = person_value_sources(connection, person_id)
    section: dict[str, Any] = {"person": masker.row(person), "value_sources": [masker.row(s) for s in sources]}
    if with_records:
        section["records"] = [masker.row(r) for r in person_records(connection, person_id)]
    section["verivali"] = [masker.row(r) for r in _rows(
        connection, f"SELECT source_file, line_number, no_ba, kode_desa, tgl_musdes, aksi, outcome "
                    f"FROM {VERIVALI_OUTCOME_TABLE} WHERE person_id = ? ORDER BY tgl_musdes, source_file, line_number",
        [person_id])] if table_exists(connection, VERIVALI_OUTCOME_TABLE) else []
    section["cek_bansos"] = cek_bansos_items(connection, person.get("nik"), person.get("no_kk"), masker)
    return section


def person_value_sources(connection: duckdb.DuckDBPyConnection, person_id: str) -> list[dict[str, Any]]:
    """The source of each value of the person, by variable name: the person's one row of
    unify.person_value_source (`<variable>_source`, `<variable>_source_record_id`) read as
    (variabel, source, source_record_id); a value no source holds is left out."""
    if not table_exists(connection, PERSON_VALUE_SOURCE_TABLE):
        return []
    rows = _rows(connection, f"SELECT * FROM {PERSON_VALUE_SOURCE_TABLE} WHERE person_id = ?", [person_id])
    if not rows:
        return []
    row = rows[0]
    variables = sorted(column.removesuffix("_source") for column in row if column.endswith("_source"))
    return [{"variabel": v, "source": row[f"{v}_source"], "source_record_id": row.get(f"{v}_source_record_id")}
            for v in variables if row[f"{v}_source"] is not None]


def person_records(connection: duckdb.DuckDBPyConnection, person_id: str) -> list[dict[str, Any]]:
    """Every source record of the person with how it was linked (dtsen.person_source + unify.match_evidence)."""
    evidence = table_exists(connection, MATCH_EVIDENCE_TABLE)
    columns = ("e.step, e.nik_dukcapil, e.own_nik_status, e.own_nik_name_score, e.nik_verivali, e.candidates, "
               "e.nik_chosen, e.chosen_match_weight, e.chosen_posterior, e.chosen_identity_weight, e.field_evidence, "
               "e.agreeing_fields, e.disagreeing_fields, e.nik_runner_up, e.runner_up_match_weight, "
               "e.runner_up_posterior, e.runner_up_field_evidence, e.linked_posterior, e.linked_match_weight, "
               "e.unmatched_reason, levenshtein(regexp_replace(r.nik_raw, '[^0-9]', '', 'g'), e.nik_dukcapil) "
               "AS nik_raw_edits_from_dukcapil") if evidence else "NULL AS step"
    join = f"LEFT JOIN {MATCH_EVIDENCE_TABLE} e USING (source, source_record_id)" if evidence else ""
    return _rows(connection, f"""
        SELECT s.source, s.source_record_id, r.source_family_id, r.line_number, r.nik_raw, r.nama, r.tgl_lahir,
               r.jenis_kelamin, r.no_kk, r.kode_desa, s.match_method, s.match_score, s.reject_reason, {columns}
        FROM {PERSON_SOURCE_TABLE} s
        LEFT JOIN {PERSON_RECORD_TABLE} r USING (source, source_record_id)
        {join}
        WHERE s.person_id = ?
        ORDER BY s.source, s.source_record_id""", [person_id])


def cek_bansos_items(connection: duckdb.DuckDBPyConnection, nik: str | None, no_kk: str | None,
                     masker: Masker) -> list[dict[str, Any]] | None:
    """Cek Bansos proposals/objections naming the person's NIK or card, from any staging/raw table whose
    name starts with cekbansos (the folder is optional); None when the warehouse has no such table."""
    tables = connection.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema IN ('staging', 'raw') "
        "AND table_name LIKE 'cekbansos%' ORDER BY table_schema = 'raw', 1").fetchall()
    if not tables:
        return None
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for (table,) in tables:
        kind = table.split(".")[1]
        if kind in seen:
            continue
        seen.add(kind)
        columns = [r[0] for r in connection.execute(f"DESCRIBE {table}").fetchall()]
        keys = [c for c in columns if c.lower().startswith("nik") and nik] + \
               [c for c in columns if c.lower().startswith("no_kk") and no_kk]
        if not keys:
            continue
        where = " OR ".join(f'"{c}" = ?' for c in keys)
        params = [nik if c.lower().startswith("nik") else no_kk for c in keys]
        for row in _rows(connection, f"SELECT * FROM {table} WHERE {where}", params):
            items.append({"table": table, **masker.row(row)})
    return items


# ----------------------------------------------------------------------------------------------
# Family
# ----------------------------------------------------------------------------------------------

def family_section(connection: duckdb.DuckDBPyConnection, family_id: str, masker: Masker) -> dict[str, Any]:
    family = _rows(connection, f"SELECT * FROM {FAMILY_TABLE} WHERE family_id = ?", [family_id])[0]
    sources = family_value_origins(connection, family)
    values = []
    for column, value in family.items():
        if column.endswith("_source") or column in ("family_id",):
            continue
        origin = sources.get(column, {})
        values.append({"variabel": column, "nilai": masker.value(column, value),
                       "source": origin.get("source") or family.get(f"{column}_source"),
                       "source_id": _plain(origin.get("source_id")), "tgl_update": _plain(origin.get("tgl_update"))})
    members = [masker.row(r) for r in _rows(
        connection, f"SELECT person_id, nama, is_active, status_padan FROM {PERSON_TABLE} WHERE family_id = ? "
                    "ORDER BY is_active DESC, person_id", [family_id])]
    return {"family_id": family_id, "no_kk": masker.value("no_kk", family.get("no_kk")),
            "kode_desa": family.get("kode_desa"), "jumlah_art": family.get("jumlah_art"),
            "values": values, "members": members, "welfare": welfare_section(connection, family_id)}


def family_value_origins(connection: duckdb.DuckDBPyConnection, family: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Variable -> (source, source_id, tgl_update) for the values of a dtsen.family row, from its one row of
    unify.family_value_source: a welfare variable from the source family of the source its `<v>_source`
    names, a krt_* variable from the head of family, the composition from the active members."""
    if not table_exists(connection, FAMILY_VALUE_SOURCE_TABLE):
        return {}
    rows = _rows(connection, f"SELECT * FROM {FAMILY_VALUE_SOURCE_TABLE} WHERE family_id = ?", [family["family_id"]])
    if not rows:
        return {}
    row = rows[0]
    origins: dict[str, dict[str, Any]] = {}
    for variable in WELFARE_VARIABLES:
        source = family.get(f"{variable}_source")
        if source is not None:
            origins[variable] = {"source": source, "source_id": row.get(f"{source}_source_family_id"),
                                 "tgl_update": row.get(f"{source}_tgl_update")}
    if row["kepala_keluarga_person_id"] is not None:
        origins.update({v: {"source": "kepala_keluarga", "source_id": row["kepala_keluarga_person_id"],
                            "tgl_update": None} for v in HEAD_VARIABLES})
    origins.update({v: {"source": "anggota_aktif", "source_id": None, "tgl_update": None} for v in MEMBER_VARIABLES})
    return origins


def welfare_section(connection: duckdb.DuckDBPyConnection, family_id: str) -> dict[str, Any]:
    if not table_exists(connection, SCORE_TABLE):
        return {"scored": False, "note": "no welfare.pmt_score in this warehouse"}
    score = _rows(connection, f"SELECT * FROM {SCORE_TABLE} WHERE family_id = ?", [family_id])
    if not score:
        reason = _rows(connection, f"SELECT alasan, keterangan FROM {BELUM_TERDATA_TABLE} WHERE family_id = ?",
                       [family_id]) if table_exists(connection, BELUM_TERDATA_TABLE) else []
        return {"scored": False, "belum_terdata": reason[0] if reason else None}
    section: dict[str, Any] = {"scored": True, **{k: _plain(v) for k, v in score[0].items() if k != "family_id"}}
    if table_exists(connection, SCORE_DETAIL_TABLE):
        detail = _rows(connection, f"SELECT data_model, variabel_diisi FROM {SCORE_DETAIL_TABLE} WHERE family_id = ?",
                       [family_id])
        if detail:
            section.update(detail[0])
    decile = _rows(connection, f"SELECT desil, persentil FROM {DECILE_TABLE} WHERE family_id = ?", [family_id])
    if decile:
        section.update({k: _plain(v) for k, v in decile[0].items()})
        section["cut_points"] = cut_points(connection, int(decile[0]["desil"]),
                                           float(score[0]["pengeluaran_kapita_pmt"]))
    if table_exists(connection, EXPLANATION_TABLE):
        section["factors"] = [{k: _plain(v) for k, v in r.items() if k not in ("family_id", "model_version")}
                              for r in _rows(connection, f"SELECT * FROM {EXPLANATION_TABLE} WHERE family_id = ? "
                                                         "ORDER BY peringkat", [family_id])]
    return section


def cut_points(connection: duckdb.DuckDBPyConnection, desil: int, score: float) -> dict[str, Any]:
    """The family's place between the cut points of welfare.desil_batas.

    Below: the highest prediction in desil d-1 and the lowest in desil d; above: the highest in
    desil d and the lowest in d+1. To move up a desil the prediction must rise past the highest of
    its own desil, at least to the lowest of d+1 (`naik_ke_desil`); to move down it must fall below
    the lowest of its desil, at least to the highest of d-1 (`turun_ke_desil`). Rupiah per person per month.
    """
    bounds = {int(r["desil"]): r for r in _rows(
        connection, f"SELECT desil, pengeluaran_kapita_pmt_min AS minimum, pengeluaran_kapita_pmt_maks AS maksimum "
                    f"FROM {CUT_POINT_TABLE}")} if table_exists(connection, CUT_POINT_TABLE) else {}
    own = bounds.get(desil, {})
    result: dict[str, Any] = {"desil": desil, "pengeluaran_kapita_pmt": score,
                              "desil_min": own.get("minimum"), "desil_maks": own.get("maksimum")}
    if desil - 1 in bounds:
        below = bounds[desil - 1]["maksimum"]
        result["batas_bawah"] = {"desil_bawah_maks": below, "desil_ini_min": own.get("minimum")}
        result["turun_ke_desil"] = {"desil": desil - 1, "target": below, "selisih_rupiah": below - score,
                                    "selisih_persen": 100.0 * (below / score - 1)}
    if desil + 1 in bounds:
        above = bounds[desil + 1]["minimum"]
        result["batas_atas"] = {"desil_ini_maks": own.get("maksimum"), "desil_atas_min": above}
        result["naik_ke_desil"] = {"desil": desil + 1, "target": above, "selisih_rupiah": above - score,
                                   "selisih_persen": 100.0 * (above / score - 1)}
    return result
