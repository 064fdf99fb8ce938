"""Hand-written upstream tables for the program stage: families, members, desil, DTKS flags,
village decisions and Cek Bansos rows, in an in-memory DuckDB, named through UpstreamTables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from dtsen_assets.program.build import UpstreamTables, build_program_tables
from dtsen_assets.program.rules import ProgramRules, load_rules
from dtsen_assets.warehouse import publish

AS_OF = dt.date(2026, 6, 30)
DESA = "3204102001"
UPSTREAM = UpstreamTables(
    person="src.person", family="src.family", person_source="src.person_source", decile="src.decile",
    person_record="src.person_record", family_record="src.family_record", verivali_outcome="src.verivali_outcome",
    verivali_decision="src.verivali_decision", usul_raw="src.usul", sanggah_raw="src.sanggah",
    previous_tasks="program.tugas_verifikasi",
)


def born(age: int, as_of: dt.date = AS_OF) -> dt.date:
    """A birth date making the person exactly `age` on `as_of` (their birthday is that day)."""
    return as_of.replace(year=as_of.year - age)


@dataclass
class Member:
    age: int | None
    disabilitas: bool = False
    bekerja: bool = True
    active: bool = True
    inactive_reason: str | None = None
    nik: str | None = None


@dataclass
class World:
    connection: duckdb.DuckDBPyConnection = field(default_factory=lambda: duckdb.connect(":memory:"))
    next_id: int = 0

    def __post_init__(self) -> None:
        c = self.connection
        c.execute("CREATE SCHEMA src; CREATE SCHEMA program")
        c.execute("""CREATE TABLE src.person (person_id VARCHAR, nik VARCHAR, no_kk VARCHAR, nama VARCHAR, tgl_lahir DATE,
                     jenis_kelamin VARCHAR, kode_desa VARCHAR, family_id VARCHAR, status_padan VARCHAR, is_active BOOLEAN,
                     inactive_reason VARCHAR)""")
        c.execute("CREATE TABLE src.family (family_id VARCHAR, no_kk VARCHAR, kode_desa VARCHAR, kode_kab VARCHAR, jumlah_art INTEGER)")
        c.execute("CREATE TABLE src.decile (family_id VARCHAR, desil INTEGER, persentil DOUBLE)")
        c.execute("""CREATE TABLE src.person_source (source VARCHAR, source_record_id VARCHAR, person_id VARCHAR,
                     match_method VARCHAR, match_score DOUBLE, reject_reason VARCHAR)""")
        c.execute("""CREATE TABLE src.person_record (source VARCHAR, source_record_id VARCHAR, source_family_id VARCHAR,
                     kode_desa VARCHAR, disabilitas VARCHAR, status_bekerja VARCHAR, problems VARCHAR[])""")
        c.execute("""CREATE TABLE src.family_record (source VARCHAR, source_family_id VARCHAR, kode_desa VARCHAR,
                     pkh BOOLEAN, bpnt BOOLEAN, pbi_jk BOOLEAN)""")
        c.execute("""CREATE TABLE src.verivali_outcome (source_file VARCHAR, line_number BIGINT, no_ba VARCHAR,
                     kode_desa VARCHAR, tgl_musdes DATE, aksi VARCHAR, person_id VARCHAR, outcome VARCHAR)""")
        c.execute("""CREATE TABLE src.verivali_decision (source_file VARCHAR, line_number BIGINT, nik VARCHAR,
                     no_kk VARCHAR, nama VARCHAR, nik_baru VARCHAR)""")
        c.execute("""CREATE TABLE src.usul ("ID_USUL" VARCHAR, "TGL_USUL" VARCHAR, "NIK" VARCHAR, "NO_KK" VARCHAR,
                     "NAMA" VARCHAR, "KODE_DESA" VARCHAR, "PROGRAM" VARCHAR, "ALASAN" VARCHAR)""")
        c.execute("""CREATE TABLE src.sanggah ("ID_SANGGAH" VARCHAR, "TGL_SANGGAH" VARCHAR, "NIK_PENYANGGAH" VARCHAR,
                     "NIK_SASARAN" VARCHAR, "KODE_DESA" VARCHAR, "ALASAN" VARCHAR)""")

    def family(self, desil: int | None, members: list[Member], *, kode_desa: str = DESA,
               dtks: tuple[bool, bool, bool] | None = None, dtks_desa: str | None = None) -> tuple[str, list[str]]:
        """A DTSEN family with its members (one DTKS record each when `dtks` gives its PKH/BPNT/PBI_JK flags)."""
        self.next_id += 1
        family_id = f"F{self.next_id:04d}"
        c = self.connection
        active = [m for m in members if m.active]
        if active:   # like dtsen.family: only families with an active member
            c.execute("INSERT INTO src.family VALUES (?, ?, ?, ?, ?)",
                      [family_id, f"32041001011500{self.next_id:02d}", kode_desa, kode_desa[:4], len(active)])
        if desil is not None and active:
            c.execute("INSERT INTO src.decile VALUES (?, ?, ?)", [family_id, desil, desil * 10.0])
        person_ids = []
        for index, m in enumerate(members):
            person_id = f"P{self.next_id:04d}{index}"
            person_ids.append(person_id)
            nik = m.nik or f"3204{self.next_id:06d}{index:06d}"
            c.execute("INSERT INTO src.person VALUES (?, ?, NULL, ?, ?, 'L', ?, ?, 'PADAN', ?, ?)",
                      [person_id, nik, f"ORANG {person_id}", born(m.age) if m.age is not None else None, kode_desa,
                       family_id if m.active else None, m.active, m.inactive_reason])
            record = f"ART-{person_id}"
            c.execute("INSERT INTO src.person_source VALUES ('dtks', ?, ?, 'exact_nik', 1.0, NULL)", [record, person_id])
            c.execute("INSERT INTO src.person_record VALUES ('dtks', ?, ?, ?, ?, ?, [])",
                      [record, f"DTKS-{family_id}", dtks_desa or kode_desa, "ya" if m.disabilitas else "tidak",
                       "bekerja" if m.bekerja else "tidak_bekerja"])
        if dtks is not None:
            c.execute("INSERT INTO src.family_record VALUES ('dtks', ?, ?, ?, ?, ?)",
                      [f"DTKS-{family_id}", dtks_desa or kode_desa, *dtks])
        return family_id, person_ids

    def decision(self, line: int, aksi: str, outcome: str, person_id: str | None, tgl: str = "2026-02-01",
                 nik: str | None = "3204000000000001", no_kk: str | None = "3204100101150099", nama: str | None = "X") -> None:
        c = self.connection
        c.execute("INSERT INTO src.verivali_outcome VALUES ('musdes.csv', ?, 'BA/1', ?, ?, ?, ?, ?)",
                  [line, DESA, dt.date.fromisoformat(tgl), aksi, person_id, outcome])
        c.execute("INSERT INTO src.verivali_decision VALUES ('musdes.csv', ?, ?, ?, ?, NULL)", [line, nik, no_kk, nama])

    def usul(self, id_usul: str, nik: str, program: str) -> None:
        self.connection.execute("INSERT INTO src.usul VALUES (?, '2026-03-01', ?, NULL, 'NAMA', ?, ?, 'Saya Budi miskin')",
                                [id_usul, nik, DESA, program])

    def sanggah(self, id_sanggah: str, nik_sasaran: str) -> None:
        self.connection.execute("INSERT INTO src.sanggah VALUES (?, '2026-03-02', '3204000000009999', ?, ?, 'Budi kaya')",
                                [id_sanggah, nik_sasaran, DESA])

    def nik(self, person_id: str) -> str:
        return self.connection.execute("SELECT nik FROM src.person WHERE person_id = ?", [person_id]).fetchone()[0]

    def build(self, rules: ProgramRules | None = None, as_of: dt.date = AS_OF) -> dict[str, str]:
        staged = build_program_tables(self.connection, rules or load_rules(), as_of, UPSTREAM)
        publish(self.connection, list(staged))
        return staged

    def rows(self, query: str) -> list[tuple]:
        return self.connection.execute(query).fetchall()

    def status(self, program: str, family_id: str, person_id: str | None = None) -> str | None:
        found = self.rows(
            f"SELECT status FROM program.kandidat WHERE program = '{program}' AND family_id = '{family_id}' "
            + (f"AND person_id = '{person_id}'" if person_id else "AND person_id IS NULL"))
        return found[0][0] if found else None

    def task(self, line_or_ref: str) -> dict:
        frame = self.connection.execute(
            "SELECT * FROM program.tugas_verifikasi WHERE rujukan = ?", [line_or_ref]).df()
        assert len(frame) == 1, line_or_ref
        return frame.iloc[0].to_dict()
