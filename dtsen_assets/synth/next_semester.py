"""The next semester's drop: a drop and its truth/, six months later, with the truth of every change.

    python -m dtsen_assets.synth next --from DROP --out DROP2 [--seed S] [--rate deaths=0.02 ...] [--only deaths]
    next_semester(drop, out, seed=0, rates=NextRates(...)) -> counts of every change

Persons die, children are born, families are newly registered (some proposed by a village meeting),
families move village or get a re-issued family card, adult children marry into another family,
families move away or are found well-off by a village meeting (their records leave the sources),
DTKS updates the housing of some families, and records that had a missing or wrong NIK get the
right one. Dukcapil shows all of it; DTKS (updated continuously) shows births, new families and new
housing; the village meetings' new decisions are written to `verivali/musdes_<yyyy>_<mm>.csv`.

truth/changes.csv lists every change, one row per person: `person_key`, `nik`, `change` (what
happened in the world) and what the change log of a correct pipeline says about that person:
`jenis` and `alasan` (empty when the change must not appear in the log: a move within the
regency, a re-issued card, a corrected NIK; the log follows a person and its family, not its
card), and `no_kk_lama` / `no_kk_baru`. Housing changes are per family (`rumah_membaik`,
`rumah_memburuk`); whether a desil moves depends on the model and everyone else's welfare, so
they are graded by direction, not exactly. truth/persons.csv and truth/source_records.csv are
carried forward (so the next semester can follow again); the other truth files are copied.

Works on the drop's files with pandas (drops for tests and benchmarks, up to some 10^5 persons);
every other file is copied unchanged, so SUSENAS and the PMT model stay the same.
"""

from __future__ import annotations

import csv
import dataclasses
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SEMESTER_START = pd.Timestamp("2026-01-01")       # the world moves on from 2025-12-31 ...
SEMESTER_END = pd.Timestamp("2026-06-30")         # ... to the end of the next semester
CHANGE_COLUMNS = ["person_key", "nik", "change", "jenis", "alasan", "no_kk_lama", "no_kk_baru"]

# change -> (jenis, alasan) in the change log; None: the change log must not list the person
EXPECTED = {
    "meninggal": ("keluar", "meninggal"),
    "pindah_keluar": ("keluar", "pindah"),
    "mampu": ("keluar", "mampu"),
    "lahir": ("masuk", "lahir"),
    "keluarga_baru": ("masuk", "baru_terdata"),
    "keluarga_usulan": ("masuk", "usulan"),
    "pindah_keluarga": ("pindah_keluarga", None),
    "pindah_desa": None,
    "kk_baru": None,
    "nik_diperbaiki": None,
    "rumah_membaik": None,
    "rumah_memburuk": None,
}


@dataclass(frozen=True)
class NextRates:
    """How much changes in one semester (shares; see the module docstring)."""

    deaths: float = 0.01              # of living persons some source lists
    death_decision: float = 0.5       # of those deaths, reported by a village meeting too
    births: float = 0.02              # of DTKS families: a child born this semester
    new_families: float = 0.01        # of DTKS families: a family newly registered in DTKS
    proposed: float = 0.5             # of new families: proposed by a village meeting (USULAN_BARU)
    moves: float = 0.01               # of families: moved village within the regency (new card)
    reissued_cards: float = 0.01      # of families: family card re-issued (same members)
    marriages: float = 0.005          # of persons: an adult child joins another family's card
    moved_away: float = 0.003         # of families: moved away, records removed, PINDAH decision
    well_off: float = 0.003           # of families: found well-off, records removed, MAMPU decision
    housing: float = 0.02             # of DTKS families: housing updated (half better, half worse)
    nik_fixed: float = 0.3            # of records with a missing or wrong NIK: the right NIK now

    def only(self, *changes: str) -> NextRates:
        """These rates with every change not named set to 0 (e.g. only('deaths'))."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown change(s): {', '.join(sorted(unknown))}")
        keep = {"death_decision", "proposed"}
        return dataclasses.replace(self, **{f.name: getattr(self, f.name) if f.name in changes else 0.0
                                            for f in dataclasses.fields(self) if f.name not in keep})


def _read(path: Path, sep: str = ",") -> pd.DataFrame:
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, path: Path, sep: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep=sep, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")


def _dates(rng: np.random.Generator, n: int, start=SEMESTER_START, end=SEMESTER_END) -> pd.DatetimeIndex:
    return start + pd.to_timedelta(rng.integers(0, (end - start).days, n), unit="D")


class _Drop:
    """The files of a drop as frames, and the bookkeeping of new identifiers."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.dukcapil = _read(folder / "dukcapil/penduduk.csv")
        self.dtks_keluarga = _read(folder / "dtks/keluarga.csv", ";")
        self.dtks_art = _read(folder / "dtks/art.csv", ";")
        self.p3ke_keluarga = _read(folder / "p3ke/keluarga.csv")
        self.p3ke_individu = _read(folder / "p3ke/individu.csv")
        self.regsosek_keluarga = _read(folder / "regsosek/keluarga.csv")
        self.regsosek_individu = _read(folder / "regsosek/individu.csv")
        self.persons = _read(folder / "truth/persons.csv")
        self.records = _read(folder / "truth/source_records.csv")
        families = folder / "truth/families.csv"
        self.families = _read(families) if families.exists() else pd.DataFrame(columns=["no_kk", "pengeluaran_kapita"])
        self.used_nik = set(self.dukcapil["NIK"])
        self.used_kk = set(self.dukcapil["NO_KK"])
        self.next_person_key = 1 + max((int(k[1:]) for k in self.persons["person_key"]), default=-1)
        self.decisions: list[dict] = []
        self.changes: list[dict] = []

    # --- identifiers ---
    def new_nik(self, rng: np.random.Generator, kode_desa: str, birth: pd.Timestamp, female: bool) -> str:
        day = birth.day + (40 if female else 0)
        while True:
            nik = f"{kode_desa[:6]}{day:02d}{birth.month:02d}{birth.year % 100:02d}{rng.integers(1, 10_000):04d}"
            if nik not in self.used_nik:
                self.used_nik.add(nik)
                return nik

    def new_kk(self, rng: np.random.Generator, kode_desa: str, issued: pd.Timestamp) -> str:
        while True:
            no_kk = f"{kode_desa[:6]}{issued.day:02d}{issued.month:02d}{issued.year % 100:02d}{rng.integers(1, 10_000):04d}"
            if no_kk not in self.used_kk:
                self.used_kk.add(no_kk)
                return no_kk

    def new_person_key(self) -> str:
        key = f"P{self.next_person_key:09d}"
        self.next_person_key += 1
        return key

    def change(self, person_key: str, nik: str, change: str, no_kk_lama: str = "", no_kk_baru: str = "") -> None:
        expected = EXPECTED[change]
        jenis, alasan = expected if expected else ("", "")
        self.changes.append(dict(person_key=person_key, nik=nik, change=change, jenis=jenis, alasan=alasan or "",
                                 no_kk_lama=no_kk_lama, no_kk_baru=no_kk_baru))

    def decision(self, aksi: str, nik: str, no_kk: str, nama: str, kode_desa: str, day: pd.Timestamp,
                 keterangan: str) -> None:
        day = min(max(day, SEMESTER_START), SEMESTER_END)     # this semester's meetings
        self.decisions.append(dict(NO_KK=no_kk, TGL_MUSDES=day.strftime("%Y-%m-%d"), NAMA=nama,
                                   NO_BA=f"{len(self.decisions) + 1}/BA-MUSDES/{kode_desa}/{day.year}",
                                   NIK_BARU="", KODE_DESA=kode_desa, NIK=nik, AKSI=aksi, KETERANGAN=keterangan))


def next_semester(drop: str | Path, out: str | Path, seed: int = 0, rates: NextRates | None = None) -> dict:
    """Write the next semester's drop of `drop` (which must have its truth/) to `out`; return the counts."""
    rates = rates or NextRates()
    source, target = Path(drop), Path(out)
    if not (source / "truth" / "persons.csv").exists():
        raise FileNotFoundError(f"{source}/truth/persons.csv: the next semester needs the drop's truth/ folder")
    if target.resolve() == source.resolve():
        raise ValueError("--out must be another folder than --from")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    d = _Drop(source)
    touched: set[str] = set()     # persons (person_key) already given a change: one change per person

    _deaths(d, rng, rates, touched)
    _leave_sources(d, rng, rates.moved_away, "pindah_keluar", "PINDAH", touched)
    _leave_sources(d, rng, rates.well_off, "mampu", "MAMPU", touched)
    _marriages(d, rng, rates, touched)
    _new_cards(d, rng, rates, touched)
    _births(d, rng, rates, touched)
    _new_families(d, rng, rates)
    _housing(d, rng, rates)
    _fix_niks(d, rng, rates, touched)
    _write_drop(d, source, target)
    counts = pd.Series([c["change"] for c in d.changes], dtype=object).value_counts().sort_index()
    return {str(k): int(v) for k, v in counts.items()}


# --- the changes -------------------------------------------------------------------------------

def _listed_persons(d: _Drop) -> pd.DataFrame:
    """Living persons of the world some source lists, with their Dukcapil row index."""
    listed = set(d.records["person_key"])
    persons = d.persons[(d.persons["is_alive"] == "1") & d.persons["person_key"].isin(listed)]
    index = pd.Series(np.arange(len(d.dukcapil)), index=d.dukcapil["NIK"])
    persons = persons[persons["nik"].isin(index.index)]
    return persons.assign(row=index.reindex(persons["nik"]).to_numpy())


def _deaths(d: _Drop, rng, rates: NextRates, touched: set[str]) -> None:
    persons = _listed_persons(d)
    chosen = persons[rng.random(len(persons)) < rates.deaths]
    days = _dates(rng, len(chosen))
    for (_, p), day in zip(chosen.iterrows(), days):
        d.dukcapil.loc[p["row"], ["STATUS", "TGL_MENINGGAL"]] = ["MENINGGAL", day.strftime("%Y-%m-%d")]
        d.persons.loc[d.persons["person_key"] == p["person_key"], "is_alive"] = "0"
        d.change(p["person_key"], p["nik"], "meninggal", p["no_kk"], p["no_kk"])
        touched.add(p["person_key"])
        if rng.random() < rates.death_decision:
            d.decision("MENINGGAL", p["nik"], p["no_kk"], p["nama"], p["kode_desa"],
                       min(day + pd.Timedelta(days=20), SEMESTER_END), "Meninggal dunia")


def _families_of(d: _Drop, touched: set[str]) -> pd.DataFrame:
    """Families (current card) of living listed persons, with their members, none touched yet."""
    persons = _listed_persons(d)
    clean = persons.groupby("no_kk")["person_key"].transform(lambda keys: not keys.isin(touched).any())
    return persons[clean.astype(bool)]


def _remove_records(d: _Drop, person_keys: set[str]) -> None:
    gone = d.records[d.records["person_key"].isin(person_keys)]
    ids = {s: set(gone.loc[gone["source"] == s, "source_record_id"]) for s in ("dtks", "p3ke", "regsosek")}
    d.dtks_art = d.dtks_art[~d.dtks_art["ID_ART"].isin(ids["dtks"])]
    d.p3ke_individu = d.p3ke_individu[~d.p3ke_individu["ID_INDIVIDU"].isin(ids["p3ke"])]
    regsosek_id = d.regsosek_individu["ID_KELUARGA"] + "-" + d.regsosek_individu["NO_ART"]
    d.regsosek_individu = d.regsosek_individu[~regsosek_id.isin(ids["regsosek"])]
    d.records = d.records[~d.records["person_key"].isin(person_keys)]
    # a source family without members is gone too
    d.dtks_keluarga = d.dtks_keluarga[d.dtks_keluarga["ID_KELUARGA"].isin(d.dtks_art["ID_KELUARGA"])]
    d.p3ke_keluarga = d.p3ke_keluarga[d.p3ke_keluarga["ID_KELUARGA_P3KE"].isin(d.p3ke_individu["ID_KELUARGA_P3KE"])]
    d.regsosek_keluarga = d.regsosek_keluarga[d.regsosek_keluarga["ID_KELUARGA"].isin(d.regsosek_individu["ID_KELUARGA"])]
    for name in ("dtks_art", "p3ke_individu", "regsosek_individu", "records", "dtks_keluarga", "p3ke_keluarga",
                 "regsosek_keluarga"):     # rows are appended at len(frame) later
        setattr(d, name, getattr(d, name).reset_index(drop=True))


def _leave_sources(d: _Drop, rng, rate: float, change: str, aksi: str, touched: set[str]) -> None:
    """Families that moved away or were found well-off: a village decision, and their records leave."""
    persons = _families_of(d, touched)
    cards = persons["no_kk"].unique()
    chosen = cards[rng.random(cards.size) < rate]
    members = persons[persons["no_kk"].isin(chosen)]
    for no_kk, family in members.groupby("no_kk"):
        day = _dates(rng, 1)[0]
        head = family.iloc[0]
        if aksi == "MAMPU":
            d.decision("MAMPU", head["nik"], no_kk, head["nama"], head["kode_desa"], day, "Sudah mampu")
        for _, p in family.iterrows():
            if aksi == "PINDAH":
                d.decision("PINDAH", p["nik"], no_kk, p["nama"], p["kode_desa"], day, "Pindah ke luar daerah")
            d.change(p["person_key"], p["nik"], change, no_kk, no_kk)
            touched.add(p["person_key"])
    _remove_records(d, set(members["person_key"]))


def _marriages(d: _Drop, rng, rates: NextRates, touched: set[str]) -> None:
    """An adult child of a family of three or more joins another family's card in the same village."""
    persons = _families_of(d, touched)
    size = persons.groupby("no_kk")["person_key"].transform("size")
    rows = d.dukcapil.loc[persons["row"].to_numpy()]
    age = (SEMESTER_START - pd.to_datetime(persons["tgl_lahir"], errors="coerce")).dt.days / 365.25
    eligible = persons[(size.to_numpy() >= 3) & (rows["STAT_HBKEL"].to_numpy() == "ANAK") & (age.to_numpy() >= 18)]
    chosen = eligible[rng.random(len(eligible)) < rates.marriages].drop_duplicates("no_kk")
    heads = d.dukcapil[(d.dukcapil["STAT_HBKEL"] == "KEPALA KELUARGA") & (d.dukcapil["STATUS"] == "HIDUP")]
    taken: set[str] = set(chosen["no_kk"])
    for _, p in chosen.iterrows():
        options = heads[(heads["KODE_DESA"] == p["kode_desa"]) & ~heads["NO_KK"].isin(taken)]
        if options.empty:
            continue
        card = options.iloc[int(rng.integers(0, len(options)))]["NO_KK"]
        taken.add(card)
        d.dukcapil.loc[p["row"], ["NO_KK", "STAT_HBKEL"]] = [card, "MENANTU"]
        d.persons.loc[d.persons["person_key"] == p["person_key"], ["no_kk", "family_key"]] = [card, card]
        d.change(p["person_key"], p["nik"], "pindah_keluarga", p["no_kk"], card)
        touched.add(p["person_key"])


def _new_cards(d: _Drop, rng, rates: NextRates, touched: set[str]) -> None:
    """Families that moved village within the regency, or whose card was re-issued: a new NO_KK."""
    persons = _families_of(d, touched)
    cards = persons["no_kk"].unique()
    draw = rng.random(cards.size)
    moved = set(cards[draw < rates.moves])
    reissued = set(cards[(draw >= rates.moves) & (draw < rates.moves + rates.reissued_cards)])
    villages = d.dukcapil["KODE_DESA"].unique()
    for no_kk, family in persons[persons["no_kk"].isin(moved | reissued)].groupby("no_kk"):
        desa = family.iloc[0]["kode_desa"]
        rows = family["row"].to_numpy()
        change = "kk_baru"
        if no_kk in moved:
            others = [v for v in villages if v[:4] == desa[:4] and v != desa]
            if others:
                desa = others[int(rng.integers(0, len(others)))]
                change = "pindah_desa"
        new_kk = d.new_kk(rng, desa, _dates(rng, 1)[0])
        d.dukcapil.loc[rows, ["NO_KK", "KODE_DESA"]] = [new_kk, desa]
        # members of the card that are dead or in no source move with it
        also = (d.dukcapil["NO_KK"] == no_kk)
        d.dukcapil.loc[also, ["NO_KK", "KODE_DESA"]] = [new_kk, desa]
        in_family = d.persons["no_kk"] == no_kk
        d.persons.loc[in_family, ["no_kk", "family_key", "kode_desa"]] = [new_kk, new_kk, desa]
        for _, p in family.iterrows():
            d.change(p["person_key"], p["nik"], change, no_kk, new_kk)
            touched.add(p["person_key"])


def _dtks_members(d: _Drop) -> pd.DataFrame:
    """DTKS families whose card is a living Dukcapil card, with that card's village and address."""
    heads = d.dukcapil[d.dukcapil["STATUS"] == "HIDUP"].drop_duplicates("NO_KK").set_index("NO_KK")
    fam = d.dtks_keluarga[d.dtks_keluarga["NO_KK"].isin(heads.index)]
    return fam.assign(kode_desa=heads["KODE_DESA"].reindex(fam["NO_KK"]).to_numpy(),
                      alamat=heads["ALAMAT"].reindex(fam["NO_KK"]).to_numpy(),
                      rt=heads["RT"].reindex(fam["NO_KK"]).to_numpy(), rw=heads["RW"].reindex(fam["NO_KK"]).to_numpy(),
                      tmpt_lhr=heads["TMPT_LHR"].reindex(fam["NO_KK"]).to_numpy())


def _name(d: _Drop, rng, female: bool, family_name: str | None = None) -> str:
    sex = "PEREMPUAN" if female else "LAKI-LAKI"
    pool = d.dukcapil.loc[d.dukcapil["JENIS_KLMIN"] == sex, "NAMA_LGKP"]
    first = pool.iloc[int(rng.integers(0, len(pool)))].split(" ")[0]
    last = family_name or pool.iloc[int(rng.integers(0, len(pool)))].split(" ")[-1]
    return f"{first} {last}" if last != first else first


def _add_person(d: _Drop, rng, *, no_kk: str, kode_desa: str, alamat: str, rt: str, rw: str, tmpt_lhr: str,
                birth: pd.Timestamp, female: bool, nama: str, stat_hbkel: str, hub_kk_dtks: str,
                id_keluarga: str) -> tuple[str, str]:
    nik = d.new_nik(rng, kode_desa, birth, female)
    d.dukcapil.loc[len(d.dukcapil)] = dict(
        NIK=nik, NO_KK=no_kk, NAMA_LGKP=nama, TMPT_LHR=tmpt_lhr, TGL_LHR=birth.strftime("%Y-%m-%d"),
        JENIS_KLMIN="PEREMPUAN" if female else "LAKI-LAKI", STAT_HBKEL=stat_hbkel, KODE_DESA=kode_desa,
        ALAMAT=alamat, RT=rt, RW=rw, STATUS="HIDUP", TGL_MENINGGAL="")
    members = d.dtks_art[d.dtks_art["ID_KELUARGA"] == id_keluarga]
    id_art = f"{id_keluarga}{len(members) + 1 + 50:02d}"
    while id_art in set(d.dtks_art["ID_ART"]):
        id_art = f"{id_keluarga}{int(rng.integers(60, 100)):02d}"
    d.dtks_art.loc[len(d.dtks_art)] = dict(
        ID_ART=id_art, ID_KELUARGA=id_keluarga, NIK=nik, NAMA=nama, TGL_LAHIR=birth.strftime("%d-%m-%Y"),
        JENIS_KELAMIN="2" if female else "1", HUB_KK=hub_kk_dtks, STATUS_PADAN="PADAN", DISABILITAS="0")
    key = d.new_person_key()
    d.persons.loc[len(d.persons)] = dict(
        person_key=key, nik=nik, no_kk=no_kk, nama=nama, tgl_lahir=birth.strftime("%Y-%m-%d"),
        jenis_kelamin="P" if female else "L", kode_desa=kode_desa, is_alive="1", family_key=no_kk)
    d.records.loc[len(d.records)] = dict(source="dtks", source_record_id=id_art, person_key=key, problems="")
    return key, nik


def _births(d: _Drop, rng, rates: NextRates, touched: set[str]) -> None:
    """A child born this semester into a DTKS family, registered in Dukcapil and DTKS."""
    families = _dtks_members(d)
    # not into a family whose members changed card or left this semester
    touched_cards = {c["no_kk_lama"] for c in d.changes} | {c["no_kk_baru"] for c in d.changes}
    families = families[~families["NO_KK"].isin(touched_cards)]
    chosen = families[rng.random(len(families)) < rates.births]
    births = _dates(rng, len(chosen), SEMESTER_START, SEMESTER_END - pd.Timedelta(days=30))
    for (_, f), birth in zip(chosen.iterrows(), births):
        female = bool(rng.random() < 0.5)
        head_name = d.dukcapil.loc[d.dukcapil["NO_KK"] == f["NO_KK"], "NAMA_LGKP"].iloc[0]
        key, nik = _add_person(d, rng, no_kk=f["NO_KK"], kode_desa=f["kode_desa"], alamat=f["alamat"], rt=f["rt"],
                               rw=f["rw"], tmpt_lhr=f["tmpt_lhr"], birth=birth, female=female,
                               nama=_name(d, rng, female, head_name.split(" ")[-1]), stat_hbkel="ANAK",
                               hub_kk_dtks="3", id_keluarga=f["ID_KELUARGA"])
        d.change(key, nik, "lahir", "", f["NO_KK"])
        d.dtks_keluarga.loc[d.dtks_keluarga["ID_KELUARGA"] == f["ID_KELUARGA"], "TGL_UPDATE"] = \
            (birth + pd.Timedelta(days=15)).strftime("%d-%m-%Y")


def _new_families(d: _Drop, rng, rates: NextRates) -> None:
    """Families registered in DTKS this semester (half of them proposed by a village meeting)."""
    families = _dtks_members(d)
    count = int(rng.binomial(len(families), rates.new_families)) if len(families) else 0
    for template_index in rng.integers(0, len(families), count) if count else []:
        template = families.iloc[int(template_index)]
        desa = template["kode_desa"]
        registered = _dates(rng, 1)[0]
        no_kk = d.new_kk(rng, desa, pd.Timestamp("2015-01-01") + pd.Timedelta(days=int(rng.integers(0, 3000))))
        id_keluarga = f"{desa}{9000 + len(d.dtks_keluarga) % 1000:05d}"
        while id_keluarga in set(d.dtks_keluarga["ID_KELUARGA"]):
            id_keluarga = f"{desa}{int(rng.integers(90000, 99999)):05d}"
        row = template.drop(["kode_desa", "alamat", "rt", "rw", "tmpt_lhr"]).copy()
        row["ID_KELUARGA"], row["NO_KK"], row["TGL_UPDATE"] = id_keluarga, no_kk, registered.strftime("%d-%m-%Y")
        d.dtks_keluarga.loc[len(d.dtks_keluarga)] = row
        proposed = bool(rng.random() < rates.proposed)
        head_female = bool(rng.random() < 0.15)
        family_name = _name(d, rng, False).split(" ")[-1]
        members = [("KEPALA KELUARGA", "1", head_female, 25 + 30 * rng.random())]
        if rng.random() < 0.8:
            members.append(("ISTRI" if not head_female else "SUAMI", "2", not head_female, 22 + 30 * rng.random()))
        for _ in range(int(rng.integers(0, 3))):
            members.append(("ANAK", "3", bool(rng.random() < 0.5), 1 + 15 * rng.random()))
        for stat, hub, female, age in members:
            birth = SEMESTER_START - pd.Timedelta(days=int(age * 365.25))
            nama = _name(d, rng, female, family_name if stat != "ISTRI" else None)
            key, nik = _add_person(d, rng, no_kk=no_kk, kode_desa=desa, alamat=template["alamat"], rt=template["rt"],
                                   rw=template["rw"], tmpt_lhr=template["tmpt_lhr"], birth=birth, female=female,
                                   nama=nama, stat_hbkel=stat, hub_kk_dtks=hub, id_keluarga=id_keluarga)
            d.change(key, nik, "keluarga_usulan" if proposed else "keluarga_baru", "", no_kk)
            if stat == "KEPALA KELUARGA" and proposed:
                d.decision("USULAN_BARU", nik, no_kk, nama, desa, registered - pd.Timedelta(days=10),
                           "Usulan keluarga baru")


def _housing(d: _Drop, rng, rates: NextRates) -> None:
    """DTKS updates the housing of some families: copied from a much better or much worse off family."""
    if d.families.empty:
        return
    welfare = pd.to_numeric(d.families.set_index("no_kk")["pengeluaran_kapita"], errors="coerce")
    fam = d.dtks_keluarga.assign(welfare=welfare.reindex(d.dtks_keluarga["NO_KK"]).to_numpy())
    known = fam[fam["welfare"].notna()]
    if len(known) < 20:
        return
    rich = known[known["welfare"] >= known["welfare"].quantile(0.9)]
    poor = known[known["welfare"] <= known["welfare"].quantile(0.1)]
    housing_columns = [c for c in d.dtks_keluarga.columns
                       if c not in ("ID_KELUARGA", "NO_KK", "KODE_WILAYAH", "ALAMAT", "PKH", "BPNT", "PBI_JK", "TGL_UPDATE")]
    changed_cards = {c["no_kk_lama"] for c in d.changes} | {c["no_kk_baru"] for c in d.changes}
    candidates = known[~known["NO_KK"].isin(changed_cards)
                       & (known["welfare"] < known["welfare"].quantile(0.5))]
    chosen = candidates[rng.random(len(candidates)) < rates.housing]
    holder = d.persons.groupby("no_kk")
    for _, f in chosen.iterrows():
        better = bool(rng.random() < 0.5) or f["welfare"] <= known["welfare"].quantile(0.1)
        model = (rich if better else poor).iloc[int(rng.integers(0, len(rich if better else poor)))]
        index = d.dtks_keluarga.index[d.dtks_keluarga["ID_KELUARGA"] == f["ID_KELUARGA"]]
        d.dtks_keluarga.loc[index, housing_columns] = model[housing_columns].to_numpy()
        d.dtks_keluarga.loc[index, "TGL_UPDATE"] = _dates(rng, 1)[0].strftime("%d-%m-%Y")
        if f["NO_KK"] in holder.groups:
            for _, p in holder.get_group(f["NO_KK"]).iterrows():
                if p["is_alive"] == "1":
                    d.change(p["person_key"], p["nik"], "rumah_membaik" if better else "rumah_memburuk",
                             f["NO_KK"], f["NO_KK"])


def _fix_niks(d: _Drop, rng, rates: NextRates, touched: set[str]) -> None:
    """Records whose NIK was missing or wrong now carry the person's NIK (a data clean-up in DTKS)."""
    records = d.records[(d.records["source"] == "dtks") & d.records["problems"].str.contains("nik", na=False)
                        & ~d.records["person_key"].isin(touched)]
    chosen = records[rng.random(len(records)) < rates.nik_fixed]
    nik_of = d.persons.set_index("person_key")["nik"]
    for _, r in chosen.iterrows():
        nik = nik_of.get(r["person_key"])
        if not nik:
            continue
        d.dtks_art.loc[d.dtks_art["ID_ART"] == r["source_record_id"], "NIK"] = nik
        d.records.loc[(d.records["source"] == "dtks") & (d.records["source_record_id"] == r["source_record_id"]),
                      "problems"] = ""
        d.change(r["person_key"], nik, "nik_diperbaiki")


def _write_drop(d: _Drop, source: Path, target: Path) -> None:
    for folder in ("dukcapil", "dtks", "p3ke", "regsosek", "susenas", "verivali", "truth"):
        shutil.rmtree(target / folder, ignore_errors=True)
    shutil.copytree(source / "susenas", target / "susenas")
    shutil.copytree(source / "verivali", target / "verivali")
    shutil.copytree(source / "truth", target / "truth")
    _write(d.dukcapil, target / "dukcapil/penduduk.csv")
    _write(d.dtks_keluarga, target / "dtks/keluarga.csv", ";")
    _write(d.dtks_art, target / "dtks/art.csv", ";")
    _write(d.p3ke_keluarga, target / "p3ke/keluarga.csv")
    _write(d.p3ke_individu, target / "p3ke/individu.csv")
    _write(d.regsosek_keluarga, target / "regsosek/keluarga.csv")
    _write(d.regsosek_individu, target / "regsosek/individu.csv")
    if d.decisions:
        columns = list(_read(next((source / "verivali").glob("*.csv"))).columns) if any(
            (source / "verivali").glob("*.csv")) else list(d.decisions[0])
        frame = pd.DataFrame(d.decisions)[columns]
        months = pd.to_datetime(frame["TGL_MUSDES"]).dt.strftime("%Y_%m")
        for month, part in frame.groupby(months):
            path = target / "verivali" / f"musdes_{month}.csv"
            if path.exists():       # a file of the drop for this month: the new decisions beside it
                path = path.with_name(f"musdes_{month}_semester_berikut.csv")
            _write(part, path)
    _write(d.persons, target / "truth/persons.csv")
    _write(d.records, target / "truth/source_records.csv")
    _write(pd.DataFrame(d.changes, columns=CHANGE_COLUMNS), target / "truth/changes.csv")
