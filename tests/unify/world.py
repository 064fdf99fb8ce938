"""Hand-written staging tables for the unify tests: a few families, every problem of sources.md.

The tables have exactly the columns of docs/internal_tables.md (staging.person_record,
staging.family_record, staging.dukcapil_person, staging.verivali_decision), filled the way the
staging layer leaves them: NIK cleaned into `nik` (NULL when unusable) with `nik_raw` as
received, impossible and placeholder dates NULL, codes canonical or NULL. Names are sometimes
left with a title, BIN/BINTI or a spelling variant, to show unify copes even when staging did not.

Each case is named in a comment; tests/unify/test_tricky_records.py asserts its outcome.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from dtsen_assets.platform.vocabulary import WELFARE_VARIABLES
from dtsen_assets.unify.config import UnifyConfig

DESA_A = "3204102001"
DESA_B = "3204102002"     # same kecamatan
DESA_C = "3204112001"     # same kabupaten, other kecamatan
AS_OF = "2025-12-31"

# The unify tests' shared settings: a fixed id key (ids are reproducible), and shares of
# unmatched NIKs and unknown codes the tiny worlds exceed by design.
ID_KEY = "0123456789abcdef" * 4
CONFIG = UnifyConfig(as_of_date=AS_OF, max_tidak_padan_share=0.5, max_unknown_code_share=0.6)

# A man who moved province: born 12-03-1985 in Kabupaten Bandung (NIKs do not change with a
# move), his card today in Kota Semarang (Jawa Tengah).
MOVER_NIK = "3204101203850901"
MOVER_KK = "3374010101200001"
DESA_SEMARANG = "3374011001"


def d(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


@dataclass
class World:
    dukcapil: list[dict] = field(default_factory=list)
    families: list[dict] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)

    def person(self, nik, no_kk, nama, tgl_lahir, jk, hub_kk, kode_desa, alive=True, tgl_meninggal=None):
        self.dukcapil.append(dict(nik=nik, no_kk=no_kk, nama=nama, tgl_lahir=d(tgl_lahir), jenis_kelamin=jk,
                                  hub_kk=hub_kk, kode_desa=kode_desa, is_alive=alive, tgl_meninggal=d(tgl_meninggal),
                                  line_number=len(self.dukcapil) + 2, problems=[]))

    def family(self, source, family_id, no_kk, kode_desa, tgl_update=None, **welfare):
        row = dict(source=source, source_family_id=family_id, line_number=len(self.families) + 2, no_kk=no_kk,
                   kode_desa=kode_desa, tgl_update=d(tgl_update), desil_p3ke=None, pkh=None, bpnt=None, pbi_jk=None,
                   problems=welfare.pop("problems", []))
        row.update({v: welfare.get(v) for v in WELFARE_VARIABLES})
        self.families.append(row)

    def record(self, source, record_id, family_id, nik_raw, nama, tgl_lahir, jk, hub_kk, nik=None, umur=None,
               problems=(), **variables):
        family = next(f for f in self.families if f["source"] == source and f["source_family_id"] == family_id)
        cleaned = nik if nik is not None else _clean(nik_raw)
        self.records.append(dict(
            source=source, source_record_id=record_id, source_family_id=family_id,
            line_number=len(self.records) + 2, nik_raw=nik_raw, nik=cleaned, nik_valid=cleaned is not None,
            nama_raw=nama, nama=nama.upper() if nama else None, tgl_lahir=d(tgl_lahir), umur=umur,
            jenis_kelamin=jk, hub_kk=hub_kk, no_kk=family["no_kk"], kode_desa=family["kode_desa"],
            pendidikan=variables.get("pendidikan"), status_bekerja=variables.get("status_bekerja"),
            lapangan_usaha=variables.get("lapangan_usaha"), kedudukan_kerja=variables.get("kedudukan_kerja"),
            disabilitas=variables.get("disabilitas"), penyakit_kronis=None, problems=list(problems)))

    def decision(self, aksi, nik, no_kk, nama, kode_desa, nik_baru=None):
        self.decisions.append(dict(source_file="musdes_2025_10.csv", line_number=len(self.decisions) + 2,
                                   no_ba="001/BA-MUSDES/2025", kode_desa=kode_desa, tgl_musdes=d("2025-10-01"),
                                   nik=nik, no_kk=no_kk, nama=nama, aksi=aksi, nik_baru=nik_baru,
                                   keterangan="-", problems=[]))

    def write(self, connection: duckdb.DuckDBPyConnection) -> None:
        connection.execute("CREATE SCHEMA IF NOT EXISTS staging")
        _table(connection, "staging.dukcapil_person", DUKCAPIL_COLUMNS, self.dukcapil)
        _table(connection, "staging.family_record", FAMILY_COLUMNS, self.families)
        _table(connection, "staging.person_record", PERSON_COLUMNS, self.records)
        _table(connection, "staging.verivali_decision", VERIVALI_COLUMNS, self.decisions)


def family(connection: duckdb.DuckDBPyConnection, no_kk: str) -> dict:
    """The published dtsen.family row of card `no_kk` (exactly one), as a dict."""
    cursor = connection.execute("SELECT * FROM dtsen.family WHERE no_kk = ?", [no_kk])
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    assert len(rows) == 1, no_kk
    return dict(zip(names, rows[0]))


def _clean(raw: str | None) -> str | None:
    digits = "".join(ch for ch in raw or "" if ch.isdigit())
    return digits if len(digits) == 16 and set(digits) != {"0"} else None


PERSON_COLUMNS = {
    "source": "VARCHAR", "source_record_id": "VARCHAR", "source_family_id": "VARCHAR", "line_number": "BIGINT",
    "nik_raw": "VARCHAR", "nik": "VARCHAR", "nik_valid": "BOOLEAN", "nama_raw": "VARCHAR", "nama": "VARCHAR",
    "tgl_lahir": "DATE", "umur": "INTEGER", "jenis_kelamin": "VARCHAR", "hub_kk": "VARCHAR", "no_kk": "VARCHAR",
    "kode_desa": "VARCHAR", "pendidikan": "VARCHAR", "status_bekerja": "VARCHAR", "lapangan_usaha": "VARCHAR",
    "kedudukan_kerja": "VARCHAR", "disabilitas": "VARCHAR", "penyakit_kronis": "VARCHAR", "problems": "VARCHAR[]",
}
FAMILY_COLUMNS = {
    "source": "VARCHAR", "source_family_id": "VARCHAR", "line_number": "BIGINT", "no_kk": "VARCHAR",
    "kode_desa": "VARCHAR", "tgl_update": "DATE", "desil_p3ke": "INTEGER", "pkh": "BOOLEAN", "bpnt": "BOOLEAN",
    "pbi_jk": "BOOLEAN",
    **{v: ("DOUBLE" if v in ("luas_lantai", "luas_lahan") else "INTEGER" if v.startswith("ternak_") else "VARCHAR")
       for v in WELFARE_VARIABLES},
    "problems": "VARCHAR[]",
}
DUKCAPIL_COLUMNS = {
    "nik": "VARCHAR", "no_kk": "VARCHAR", "nama": "VARCHAR", "tgl_lahir": "DATE", "jenis_kelamin": "VARCHAR",
    "hub_kk": "VARCHAR", "kode_desa": "VARCHAR", "is_alive": "BOOLEAN", "tgl_meninggal": "DATE",
    "line_number": "BIGINT", "problems": "VARCHAR[]",
}
VERIVALI_COLUMNS = {
    "source_file": "VARCHAR", "line_number": "BIGINT", "no_ba": "VARCHAR", "kode_desa": "VARCHAR",
    "tgl_musdes": "DATE", "nik": "VARCHAR", "no_kk": "VARCHAR", "nama": "VARCHAR", "aksi": "VARCHAR",
    "nik_baru": "VARCHAR", "keterangan": "VARCHAR", "problems": "VARCHAR[]",
}


def _table(connection: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str], rows: list[dict]) -> None:
    connection.execute(f"CREATE OR REPLACE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    if rows:
        placeholders = ", ".join("?" for _ in columns)
        connection.executemany(f"INSERT INTO {name} VALUES ({placeholders})",
                               [[row.get(c) for c in columns] for row in rows])


# ----------------------------------------------------------------------------------------------
# The tricky world
# ----------------------------------------------------------------------------------------------

KK1 = "3204100101150001"
KK2 = "3204100202160002"
KK3 = "3204100303170003"
KK4_OLD, KK4_NEW = "3204100404140004", "3204101509250044"
KK5_OLD, KK5_NEW = "3204100505120005", "3204100106240055"
KK6 = "3204100606180006"
KK7 = "3204110707190007"
KK8 = "3204100808100008"
KK10 = "3204100909110009"
KK11_SOURCE = "3204101010100010"   # a card Dukcapil does not know
KK12 = "3204101111110012"

NIK = {
    "ahmad": "3204101203780001", "siti": "3204105508800002", "rizki": "3204102001050003", "nur": "3204104206120004",
    "budi": "3204100501700005", "rina": "3204104904720006",
    "wayan": "3204100707500007", "ketut": "3204104303550008",
    "dewi": "3204105111850009", "andi": "3204100202100010",
    "hendra": "3204101010900011",
    "ratna": "1171014107880012",     # old region prefix; birth digits say 1 July 1988, she was born 20 May
    "arif": "3204110112830013",
    "sri": "3204105402620014",
    "yulianti": "3204104303820015",
    "lina": "3204105909930016",
    "gita": "3204104101010017",      # in Dukcapil only (proposed by a village meeting)
    "eko": "3204101203780018",       # same birth date and district as Ahmad: a near NIK, another person
    "yudi": "3204105506920019",      # a man whose NIK has the +40 of women (sex digits disagree)
}


FIRST = ("ADI", "BAYU", "CITRA", "DIAN", "EKA", "FAJAR", "GALIH", "HANA", "INDRA", "JAYA", "KARTIKA", "LUKMAN",
         "MAYA", "NANDA", "OKTA", "PUTRI", "RAHMAT", "SARI", "TAUFIK", "UMI", "VINA", "WAHYU", "YOGA", "ZAHRA")
LAST = ("SETIAWAN", "HANDAYANI", "KURNIAWAN", "LESTARI", "NUGROHO", "PERMANA", "RAHAYU", "SAPUTRA", "WIBOWO",
        "YULIANA", "HASIBUAN", "SIREGAR", "NAPITUPULU", "SUSANTI", "MARPAUNG")


def background(w: World, persons: int = 400) -> None:
    """Dukcapil persons no source lists: the population a candidate search has to pick from
    (and what term frequencies are counted on). Deterministic."""
    villages = (DESA_A, DESA_B, DESA_C, "3273011001")
    for i in range(persons):
        first, last = FIRST[(i * 7) % len(FIRST)], LAST[(i * 11) % len(LAST)]
        born = dt.date(1940, 1, 1) + dt.timedelta(days=(i * 7919) % 29000)
        female = i % 2 == 1
        village = villages[i % len(villages)]
        day = born.day + (40 if female else 0)
        nik = f"{village[:6]}{day:02d}{born.month:02d}{born.year % 100:02d}{5000 + i:04d}"
        no_kk = f"{village[:6]}010120{6000 + i // 3:04d}"
        w.person(nik, no_kk, f"{first} {last}", born.isoformat(), "P" if female else "L",
                 "kepala_keluarga" if i % 3 == 0 else "anak", village)


# Dukcapil of tricky_world: NIK key | card | name | born | sex | relation | village [| died DATE]
# (names in capitals are the constants above; "#" starts a comment)
DUKCAPIL = """
ahmad    | KK1              | AHMAD SOLEH            | 1978-03-12 | L | kepala_keluarga | DESA_A
siti     | KK1              | SITI AMINAH            | 1980-08-15 | P | istri_suami     | DESA_A
rizki    | KK1              | MUHAMMAD RIZKI         | 2005-01-20 | L | anak            | DESA_A
nur      | KK1              | NUR HALIMAH            | 2012-06-02 | P | anak            | DESA_A
budi     | KK2              | BUDI SANTOSO           | 1970-01-05 | L | kepala_keluarga | DESA_A
rina     | KK2              | RINA WATI              | 1972-04-09 | P | istri_suami     | DESA_A
wayan    | KK3              | WAYAN SUDARSA          | 1950-07-07 | L | kepala_keluarga | DESA_A | died 2024-05-01
ketut    | KK3              | KETUT SARI             | 1955-03-03 | P | istri_suami     | DESA_A
dewi     | KK4_NEW          | DEWI LESTARI           | 1985-11-11 | P | kepala_keluarga | DESA_B   # moved A -> B
andi     | KK4_NEW          | ANDI PRATAMA           | 2010-02-02 | L | anak            | DESA_B
hendra   | KK5_NEW          | HENDRA GUNAWAN         | 1990-10-10 | L | kepala_keluarga | DESA_A   # card re-issued
ratna    | KK6              | RATNA SARI             | 1988-05-20 | P | kepala_keluarga | DESA_A
arif     | KK7              | MOCHAMMAD ARIF HIDAYAT | 1983-12-01 | L | kepala_keluarga | DESA_C
sri      | KK8              | SRI MULYANI            | 1962-02-14 | P | kepala_keluarga | DESA_A
yulianti | KK10             | YULIANTI               | 1982-03-03 | P | kepala_keluarga | DESA_A
lina     | KK12             | LINA MARLINA           | 1993-09-19 | P | kepala_keluarga | DESA_A
gita     | KK12             | GITA PERMATA           | 2001-01-01 | P | anak            | DESA_A
eko      | 3204101212150099 | EKO PRASETYO           | 1978-03-12 | L | kepala_keluarga | DESA_B
yudi     | KK6              | YUDI HARTONO           | 1992-06-15 | L | istri_suami     | DESA_A
"""


def _rows(table: str) -> list[list[str]]:
    return [[field.strip() for field in line.split("#")[0].split("|")] for line in table.strip().splitlines()]


def _named(value: str) -> str:
    """A constant of this module by its name (KK1, DESA_A), else the value itself."""
    return globals().get(value, value)


def tricky_world() -> World:
    w = World()
    background(w)
    # --- Dukcapil: the authority (DUKCAPIL above) ---------------------------------------------
    for key, no_kk, nama, tgl_lahir, jk, hub_kk, kode_desa, *death in _rows(DUKCAPIL):
        w.person(NIK[key], _named(no_kk), nama, tgl_lahir, jk, hub_kk, _named(kode_desa), alive=not death,
                 tgl_meninggal=death[0].removeprefix("died ") if death else None)

    # --- families as the sources hold them -------------------------------------------------------
    # F1: three sources disagree about the house; DTKS updated after REGSOSEK, so it comes first.
    w.family("dtks", "D1", KK1, DESA_A, "2025-03-15", lantai="keramik", daya_listrik=None, atap=None,
             problems=["code_unknown:daya_listrik"])
    w.family("regsosek", "R1", KK1, DESA_A, lantai="semen", daya_listrik="va_900", aset_televisi="ya", atap=None,
             luas_lantai=36.0)
    w.family("p3ke", "P1", KK1, DESA_A, lantai="tanah", atap="genteng")
    # F2: DTKS updated before REGSOSEK: REGSOSEK comes first.
    w.family("dtks", "D2", KK2, DESA_A, "2021-05-01", lantai="keramik")
    w.family("regsosek", "R2", KK2, DESA_A, lantai="semen")
    w.family("regsosek", "R3", KK3, DESA_A)
    w.family("dtks", "D4", KK4_OLD, DESA_A, "2022-01-10")         # moved and got a new card since
    w.family("p3ke", "P5", KK5_OLD, DESA_A)                        # card re-issued since
    w.family("regsosek", "R6", KK6, DESA_A)
    w.family("dtks", "D7", KK7, DESA_C, "2023-02-02")
    w.family("regsosek", "R7", KK7, DESA_C)
    w.family("p3ke", "P7", KK7, DESA_C)
    w.family("dtks", "D8", KK8, DESA_A, "2023-02-02")
    w.family("p3ke", "P10", None, DESA_A)
    w.family("dtks", "D11", KK11_SOURCE, DESA_A, "2023-02-02")
    w.family("regsosek", "R11", KK11_SOURCE, DESA_A)
    w.family("dtks", "D12", KK12, DESA_A, "2023-02-02")

    # --- source person records ----------------------------------------------------------------
    # F1 in DTKS: apostrophe; spaces; a digit lost (15 digits); a digit doubled (17 digits);
    # the head with a title and a degree that staging left in the name.
    w.record("dtks", "D1-01", "D1", "'" + NIK["ahmad"], "H. AHMAD SOLEH, S.PD", "1978-03-12", "L", "kepala_keluarga",
             problems=["nik_apostrophe"])
    w.record("dtks", "D1-02", "D1", "3204 1055 0880 0002", "SITI AMINAH", "1980-08-15", "P", "istri_suami",
             problems=["nik_spaces"])
    w.record("dtks", "D1-03", "D1", "320410200105003", "MOCH RIZKI", "2005-01-20", "L", "anak", problems=["nik_length"])
    w.record("dtks", "D1-04", "D1", "32041042061200004", "NUR HALIMAH", "2012-06-02", "P", "anak",
             problems=["nik_length"])
    # F1 in REGSOSEK: exact; no NIK with BINTI; all zeros; placeholder date (NULL) with an age.
    w.record("regsosek", "R1-1", "R1", NIK["ahmad"], "AHMAD SOLEH", "1978-03-12", "L", "kepala_keluarga", umur=44,
             pendidikan="sma", status_bekerja="bekerja")
    w.record("regsosek", "R1-2", "R1", None, "SITI AMINAH BINTI ABDULLAH", "1980-08-15", "P", "istri_suami", umur=42,
             problems=["nik_missing"])
    w.record("regsosek", "R1-3", "R1", "0000000000000000", "MUHAMMAD RIZKI", "2005-01-20", "L", "anak", umur=17,
             problems=["nik_all_zero"])
    w.record("regsosek", "R1-4", "R1", NIK["nur"], "NUR HALIMAH", None, "P", "anak", umur=10,
             problems=["date_placeholder"])
    # F1 in P3KE: any casing.
    w.record("p3ke", "P1-01", "P1", NIK["ahmad"], "ahmad soleh", "1978-03-12", "L", "kepala_keluarga", umur=44,
             pendidikan="smp")
    # F2: Rina carries her husband's NIK (NIK ganda); Joko, not in Dukcapil, carries it too.
    w.record("dtks", "D2-01", "D2", NIK["budi"], "BUDI SANTOSO", "1970-01-05", "L", "kepala_keluarga")
    w.record("dtks", "D2-02", "D2", NIK["budi"], "RINA WATI", "1972-04-09", "P", "istri_suami")
    w.record("dtks", "D2-03", "D2", NIK["budi"], "JOKO PRANOTO", "1999-09-09", "L", "lainnya")
    w.record("regsosek", "R2-1", "R2", NIK["budi"], "BUDI SANTOSO", "1970-01-05", "L", "kepala_keluarga", umur=52)
    # Sri is listed twice in DTKS: in her family and again as a relative in Budi's.
    # The two records disagree on her schooling, with the same priority (both DTKS): the smaller
    # record id decides, whatever order the rows come in.
    w.record("dtks", "D2-04", "D2", NIK["sri"], "SRI MULYANI", "1962-02-14", "P", "lainnya", pendidikan="sd")
    w.record("dtks", "D8-01", "D8", NIK["sri"], "SRI MULYANI", "1962-02-14", "P", "kepala_keluarga",
             pendidikan="smp")
    # F3: Wayan died (Dukcapil MENINGGAL) but is still listed.
    w.record("regsosek", "R3-1", "R3", NIK["wayan"], "WAYAN SUDARSA", "1950-07-07", "L", "kepala_keluarga", umur=72)
    w.record("regsosek", "R3-2", "R3", NIK["ketut"], "KETUT SARI", "1955-03-03", "P", "istri_suami", umur=67)
    # F4: moved village and got a new card; F5: card re-issued.
    w.record("dtks", "D4-01", "D4", NIK["dewi"], "DEWI LESTARI", "1985-11-11", "P", "kepala_keluarga")
    w.record("dtks", "D4-02", "D4", NIK["andi"], "ANDI PRATAMA", "2010-02-02", "L", "anak")
    w.record("p3ke", "P5-01", "P5", NIK["hendra"], "HENDRA GUNAWAN", "1990-10-10", "L", "kepala_keluarga", umur=31)
    # F6: the NIK's birth digits disagree with the birth date, and its region code is old.
    w.record("regsosek", "R6-1", "R6", NIK["ratna"], "RATNA SARI", "1988-05-20", "P", "kepala_keluarga", umur=34,
             problems=["nik_birthdate_mismatch", "nik_region_old"])
    w.record("regsosek", "R6-2", "R6", NIK["yudi"], "YUDI HARTONO", "1992-06-15", "L", "istri_suami", umur=30,
             problems=["nik_sex_mismatch"])
    # F7: MUH./MOCHAMMAD with a one-digit NIK typo; swapped parts without a NIK; a name typo with
    # an impossible date (NULL) and the right NIK.
    w.record("dtks", "D7-01", "D7", "3204110112830018", "MUHAMMAD ARIF HIDAYAT", "1983-12-01", "L", "kepala_keluarga",
             problems=["name_abbreviation_expanded"])
    w.record("regsosek", "R7-1", "R7", None, "HIDAYAT ARIF MOCHAMMAD", "1983-12-01", "L", "kepala_keluarga", umur=38)
    w.record("dtks", "D7-02", "D7", NIK["arif"], "MOCHAMAD ARIF HIDAJAT", None, "L", "lainnya",
             problems=["date_impossible"])
    # ... and without the first part of the name and without a NIK, in P3KE.
    w.record("p3ke", "P7-01", "P7", None, "ARIF HIDAYAT", "1983-12-01", "L", "kepala_keluarga", umur=38,
             problems=["nik_missing"])
    # F10: no NIK, no birth date, only an age, alone in a P3KE family without a card.
    w.record("p3ke", "P10-01", "P10", None, "YULIANTI", None, "P", "kepala_keluarga", umur=40,
             problems=["nik_missing", "date_missing_age_only"])
    # F11: a person Dukcapil does not know, in two sources, neither with a NIK.
    w.record("dtks", "D11-01", "D11", None, "TONO SUPRIYADI", "1975-06-06", "L", "kepala_keluarga")
    w.record("regsosek", "R11-1", "R11", None, "TONO SUPRIYADI", "1975-06-06", "L", "kepala_keluarga", umur=47)
    # F12: two neighbouring digits swapped; a village meeting gives the right NIK.
    w.record("dtks", "D12-01", "D12", "3204105909930061", "LINA MARLINA", "1993-09-19", "P", "kepala_keluarga")

    # --- village-meeting decisions (claims) ---------------------------------------------------
    w.decision("MENINGGAL", NIK["wayan"], KK3, "WAYAN SUDARSA", DESA_A)            # true: Dukcapil confirms
    w.decision("MENINGGAL", NIK["ketut"], KK3, "KETUT SARI", DESA_A)               # wrong: she is alive
    w.decision("PERBAIKAN_NIK", "3204105909930061", KK12, "LINA MARLINA", DESA_A, nik_baru=NIK["lina"])
    w.decision("PERBAIKAN_NIK", NIK["budi"], KK2, "BUDI SANTOSO", DESA_A, nik_baru="3204100501700095")  # wrong
    w.decision("MAMPU", NIK["hendra"], KK5_OLD, "HENDRA GUNAWAN", DESA_A)
    w.decision("PINDAH", NIK["dewi"], KK4_OLD, "DEWI LESTARI", DESA_A)
    w.decision("USULAN_BARU", NIK["gita"], KK12, "GITA PERMATA", DESA_A)
    w.decision("TETAP", NIK["ahmad"], KK1, "AHMAD SOLEH", DESA_A)
    return w
