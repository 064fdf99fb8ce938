"""A check of unify.person_value_source shared by the tests of hand-written and generated records."""

from __future__ import annotations

import duckdb


def check_value_sources(connection: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """unify.person_value_source against the rules, over every person: a named record holds the published
    value (identity of a person without a NIK) and is the first by the rule among the person's records
    holding one (person-level variables: REGSOSEK, P3KE, DTKS, then the smaller id). Returns the values
    checked and how many of them came from a later record than the person's first."""
    records = connection.execute("""
        SELECT s.person_id, r.source, r.source_record_id, r.nama, r.tgl_lahir, r.jenis_kelamin, r.kode_desa,
               r.pendidikan, r.status_bekerja, r.lapangan_usaha, r.kedudukan_kerja, r.disabilitas
        FROM dtsen.person_source s JOIN staging.person_record r USING (source, source_record_id)""").fetchall()
    by_person: dict[str, list[tuple]] = {}
    for row in records:
        by_person.setdefault(row[0], []).append(row)
    persons = {row[0]: row[1:] for row in connection.execute(
        "SELECT person_id, nik, nama, tgl_lahir, jenis_kelamin, kode_desa FROM dtsen.person").fetchall()}
    cursor = connection.execute("SELECT * FROM unify.person_value_source")
    columns = [d[0] for d in cursor.description]
    sources = [dict(zip(columns, row)) for row in cursor.fetchall()]
    priority = {"regsosek": 1, "p3ke": 2, "dtks": 3}
    checked = not_first = 0
    for origin in sources:
        person_id = origin["person_id"]
        own = by_person.get(person_id, [])
        nik, *identity = persons[person_id]
        for position, variable in enumerate(("nama", "tgl_lahir", "jenis_kelamin", "kode_desa")):
            if origin[f"{variable}_source"] == "dukcapil":
                assert nik is not None and origin[f"{variable}_source_record_id"] is None
                continue
            named = [r for r in own if (r[1], r[2]) == (origin[f"{variable}_source"], origin[f"{variable}_source_record_id"])]
            if identity[position] is None:
                assert origin[f"{variable}_source"] is None
                continue
            assert len(named) == 1 and named[0][3 + position] == identity[position], (person_id, variable)
            checked += 1
        first = min(((priority[r[1]], r[2]) for r in own), default=None)
        for position, variable in enumerate(("pendidikan", "status_bekerja", "lapangan_usaha", "kedudukan_kerja",
                                             "disabilitas")):
            holding = sorted((priority[r[1]], r[2], r) for r in own if r[7 + position] is not None)
            expected = (holding[0][2][1], holding[0][2][2]) if holding else (None, None)
            assert (origin[f"{variable}_source"], origin[f"{variable}_source_record_id"]) == expected, (person_id, variable)
            checked += 1
            # a value held by a later record than the person's first (person.sql looks those up apart)
            not_first += bool(holding) and holding[0][:2] != first
    return checked, not_first
