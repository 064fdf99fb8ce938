"""The world of one chunk as each source shows it: rows of the drop's files, plus their truth.

One function per source. The three registries (DTKS, P3KE, REGSOSEK) share the selection of
their person records (`select_records`: members at the time of collection, plus duplicates) and
the spoiling of NIK, name and birth date (`person_fields`). Every spoil is counted in the ledger
and marked on the record (truth/source_records.csv).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dtsen_assets.contract import DTKS_ASSET_COLUMNS, SOURCE_FILES_BY_KEY
from dtsen_assets.synth import inject
from dtsen_assets.synth.codes import Codebook
from dtsen_assets.synth.economy import Economy
from dtsen_assets.synth.housing import (
    ASSETS, HOUSING, HOUSING_BY_VARIABLE, LIVESTOCK, NO_FACILITY, NO_POWER, PEMBUANGAN_TINJA, PENERANGAN,
    PLN_METER, SHARED_HOUSING,
)
from dtsen_assets.synth.members import (
    ANAK, CUCU, FAMILI_LAIN, HEAD, ISTRI, LAINNYA, MENANTU, MERTUA, ORANG_TUA, PEMBANTU, STAT_HBKEL, SUAMI,
)
from dtsen_assets.synth.names import name_pools
from dtsen_assets.synth.problems import Coverage, ProblemRates
from dtsen_assets.synth.world import DAYS_PER_YEAR, WorldChunk, dates

# Gate questions and the questions asked only after them (left blank when the gate says they do
# not apply). Gates are never spoiled, so a reader can always tell a skip from an empty cell.
GATES = {"FASILITAS_BAB": ("JENIS_KLOSET", "PEMBUANGAN_TINJA"),
         "STATUS_BEKERJA": ("LAPANGAN_USAHA", "KEDUDUKAN_KERJA"),
         "KRT_STATUS_BEKERJA": ("KRT_LAPANGAN_USAHA", "KRT_KEDUDUKAN_KERJA")}
# Housing columns per source, by canonical variable.
DTKS_HOUSING = {"status_bangunan": "STATUS_BANGUNAN", "lantai": "LANTAI", "dinding": "DINDING", "atap": "ATAP",
                "air_minum": "AIR_MINUM", "penerangan": "PENERANGAN", "bahan_bakar": "BB_MASAK",
                "fasilitas_bab": "BAB"}
P3KE_HOUSING = {"status_bangunan": "STATUS_RUMAH", "lantai": "JENIS_LANTAI", "dinding": "JENIS_DINDING",
                "atap": "JENIS_ATAP", "air_minum": "SUMBER_AIR_MINUM", "fasilitas_bab": "FASILITAS_BAB",
                "penerangan": "SUMBER_PENERANGAN", "bahan_bakar": "BAHAN_BAKAR_MEMASAK"}
REGSOSEK_HOUSING = {spec.variable: spec.variable.upper() for spec in HOUSING}
REGSOSEK_HOUSING["bahan_bakar"] = "BAHAN_BAKAR"
# Canonical hub_kk of each relation; where a source has two codes for one value, which one.
RELATION_HUB_KK = {HEAD: "kepala_keluarga", SUAMI: "istri_suami", ISTRI: "istri_suami", ANAK: "anak",
                   MENANTU: "menantu", CUCU: "cucu", ORANG_TUA: "orang_tua_mertua", MERTUA: "orang_tua_mertua",
                   FAMILI_LAIN: "lainnya", PEMBANTU: "pembantu", LAINNYA: "lainnya"}
RELATION_SECOND_CODE = {("dtks", MERTUA), ("dtks", LAINNYA), ("p3ke", LAINNYA), ("p3ke", PEMBANTU)}
EDUCATION_CANONICAL = ("tidak_sekolah", "sd", "smp", "sma", "diploma", "sarjana", "pascasarjana")  # codes 1..7


@dataclass
class Context:
    chunk: WorldChunk
    rng: np.random.Generator
    rates: ProblemRates
    coverage: Coverage
    economy: Economy
    codebook: Codebook
    ledger: inject.Ledger

    @property
    def fam(self):
        return self.chunk.families

    @property
    def persons(self):
        return self.chunk.persons


@dataclass
class Records:
    """The person records of one registry in one chunk."""

    family_rows: np.ndarray     # world family of each source family
    family_id: pa.Array         # source family id of each source family
    person: np.ndarray          # world person of each record
    family_row: np.ndarray      # source family of each record
    member_no: np.ndarray       # 1..n within the source family
    duplicate: np.ndarray       # a second record of a person already listed
    collected: np.ndarray       # date the record was collected


@dataclass
class RegistryOutput:
    family_table: dict
    person_table: dict
    records: Records
    record_id: pa.Array
    nik_text: pa.Array
    name_text: pa.Array
    problem_bits: np.ndarray


# ---------------------------------------------------------------- helpers

def text(values) -> pa.Array:
    return pa.array(np.asarray(values)).cast(pa.string())


def padded(values, width: int) -> pa.Array:
    return pc.utf8_lpad(text(values), width, padding="0")


def age_on(birth: np.ndarray, day: np.ndarray) -> np.ndarray:
    return np.floor((day - birth).astype(np.int64) / DAYS_PER_YEAR).astype(np.int64)


def village_serial_ids(kode_desa: np.ndarray, prefix: str, width: int) -> pa.Array:
    """Ids `prefix + kode_desa + serial` numbering the families of each village from 1."""
    new_village = np.r_[True, kode_desa[1:] != kode_desa[:-1]] if kode_desa.size else np.zeros(0, bool)
    starts = np.flatnonzero(new_village)
    serial = np.arange(kode_desa.size) - starts[np.cumsum(new_village) - 1] + 1
    return pc.binary_join_element_wise(prefix, text(kode_desa), padded(serial, width), "")


def encode_yes_no(codebook: Codebook, source: str, column: str, flag: np.ndarray, rng) -> np.ndarray:
    return codebook.encode(source, column, column.lower(), ("ya", "tidak"), np.where(flag, 0, 1), rng)


def relation_codes(codebook: Codebook, source: str, column: str, relation: np.ndarray) -> np.ndarray:
    table = np.empty(len(STAT_HBKEL), dtype=object)
    for rel, canonical in RELATION_HUB_KK.items():
        options = codebook.codes_for(source, column, "hub_kk", (canonical,))[0]
        table[rel] = options[min(int((source, rel) in RELATION_SECOND_CODE), len(options) - 1)]
    return table[relation]


def sex_codes(codebook: Codebook, source: str, column: str, female: np.ndarray, rng) -> np.ndarray:
    return codebook.encode(source, column, "jenis_kelamin", ("L", "P"), female.astype(np.int8), rng)


def education_codes(codebook: Codebook, source: str, column: str, education: np.ndarray, rng) -> np.ndarray:
    return codebook.encode(source, column, "pendidikan", EDUCATION_CANONICAL, education.astype(np.int64) - 1, rng)


def school_code(age: np.ndarray, adult_code: np.ndarray) -> np.ndarray:
    """Education on a past date: children were in an earlier school grade then."""
    return np.select([age < 7, age < 13, age < 16], [1, 2, 3], adult_code).astype(np.int8)


def spoil_coded(ctx: Context, table: dict, file_key: str, source: str, bits_masks: dict | None) -> None:
    """Codes outside the codebook and empty cells in every coded column of a file (not gates)."""
    source_file = SOURCE_FILES_BY_KEY[file_key]
    outside_any = empty_any = None
    for column in source_file.columns:
        if column in GATES or not ctx.codebook.has(source, column):
            continue
        codes = np.asarray(table[column], dtype=object)
        eligible = pd.notna(codes)                  # blank = not asked (skipped question)
        labels = source == "p3ke"
        codes, outside, empty = inject.spoil_cells(ctx.rng, codes, eligible, ctx.rates,
                                                   ctx.codebook.valid_codes(source, column), labels)
        table[column] = codes
        ctx.ledger.add("code_outside_codebook", source_file.path, column, outside, eligible)
        ctx.ledger.add("empty_cell", source_file.path, column, empty, eligible)
        outside_any = outside if outside_any is None else outside_any | outside
        empty_any = empty if empty_any is None else empty_any | empty
    if bits_masks is not None and outside_any is not None:
        bits_masks["code_outside_codebook"] = outside_any
        bits_masks["empty_cell"] = empty_any


# ---------------------------------------------------------------- the registries' records

def select_records(ctx: Context, in_source: np.ndarray, collected: np.ndarray, family_id: pa.Array,
                   file_key: str) -> Records:
    fam, persons, rng = ctx.fam, ctx.persons, ctx.rng
    family_rows = np.flatnonzero(in_source)
    row_of_family = np.full(len(fam), -1)
    row_of_family[family_rows] = np.arange(family_rows.size)
    p_family = persons["family"].to_numpy()
    listed = (row_of_family[p_family] >= 0) & (dates(persons, "tgl_lahir") <= collected[p_family])
    person = np.flatnonzero(listed)
    family_row = row_of_family[p_family[person]]

    # Listed twice: again in another family of the same village (or the same family).
    duplicate = rng.random(person.size) < ctx.rates.duplicate_in_source
    ctx.ledger.add("duplicate_in_source", SOURCE_FILES_BY_KEY[file_key].path, "", duplicate, person.size)
    village = fam["village"].to_numpy()[family_rows]
    own = family_row[duplicate]
    lo = np.searchsorted(village, village[own], side="left")
    hi = np.searchsorted(village, village[own], side="right")
    span = hi - lo
    other = lo + (own - lo + 1 + rng.integers(0, np.maximum(span - 1, 1))) % np.maximum(span, 1)
    target = np.where(span >= 2, other, own)

    rec_person = np.r_[person, person[duplicate]]
    rec_family_row = np.r_[family_row, target]
    rec_duplicate = np.r_[np.zeros(person.size, bool), np.ones(int(duplicate.sum()), bool)]
    order = np.lexsort((rec_duplicate, rec_family_row))
    rec_person, rec_family_row, rec_duplicate = rec_person[order], rec_family_row[order], rec_duplicate[order]
    new_family = np.r_[True, rec_family_row[1:] != rec_family_row[:-1]] if rec_person.size else np.zeros(0, bool)
    starts = np.flatnonzero(new_family)
    member_no = np.arange(rec_person.size) - starts[np.cumsum(new_family) - 1] + 1
    return Records(family_rows, family_id, rec_person, rec_family_row, member_no, rec_duplicate,
                   collected[family_rows][rec_family_row])


def person_fields(ctx: Context, records: Records, file_key: str, columns: dict[str, str], day_first: bool,
                  age_given: bool, empty_rate: float) -> dict:
    """NIK, name and birth date of the records as the source shows them, and their problems."""
    persons, rng, rates, ledger = ctx.persons, ctx.rng, ctx.rates, ctx.ledger
    path = SOURCE_FILES_BY_KEY[file_key].path
    p = records.person
    n = p.size
    p_family = persons["family"].to_numpy()
    family = p_family[p]

    # NIK ganda: the NIK of someone else, mostly another member of the same family card.
    family_start = np.searchsorted(p_family, np.arange(len(ctx.fam)))
    family_size = np.diff(np.r_[family_start, len(persons)])
    size, start = family_size[family], family_start[family]
    other = np.where(size >= 2, start + (p - start + 1 + rng.integers(0, np.maximum(size - 1, 1))) % size,
                     (p + 1 + rng.integers(0, max(len(persons) - 1, 1), n)) % len(persons))
    nik = persons["nik"].to_numpy()
    nik_text, masks = inject.render_nik(rng, nik[p], nik[other], rates, empty_rate)
    for problem, mask in masks.items():
        ledger.add(problem, path, columns["nik"], mask, n)
    true_nik_shown = ~np.any(list(masks.values()), axis=0) if n else np.zeros(0, bool)
    for problem in ("nik_birthdate_mismatch", "nik_sex_mismatch", "nik_old_prefix"):
        masks[problem] = persons[problem].to_numpy()[p] & true_nik_shown

    female = persons["female"].to_numpy()[p]
    birth = dates(persons, "tgl_lahir")[p]
    age = age_on(birth, records.collected)
    head = ctx.fam["head"].to_numpy()[family]
    relation = persons["relation"].to_numpy()[p]
    head_is_father = np.isin(relation, (ANAK, CUCU)) & ~persons["female"].to_numpy()[head]
    father = np.where(head_is_father, persons["nama_first"].to_numpy()[head],
                      name_pools().draw_given(rng, np.zeros(n, bool)))
    name_text, name_masks, name_eligible = inject.render_names(
        rng, persons["nama_first"].to_numpy()[p], persons["nama_middle"].to_numpy()[p],
        persons["nama_last"].to_numpy()[p], persons["nama"].to_numpy()[p], female, age, father, rates)
    for problem, mask in name_masks.items():
        ledger.add(problem, path, columns["nama"], mask, name_eligible[problem])
    masks.update(name_masks)

    date_text, date_masks, date_eligible = inject.render_dates(rng, birth, day_first, age_given, rates)
    for problem, mask in date_masks.items():
        if date_eligible[problem].any():
            ledger.add(problem, path, columns["tgl_lahir"], mask, date_eligible[problem])
    masks.update(date_masks)

    masks["duplicate_in_source"] = records.duplicate
    masks["dead_still_listed"] = ~persons["is_alive"].to_numpy()[p]
    source_family = records.family_rows[records.family_row]
    masks["moved_village"] = ctx.fam["moved"].to_numpy()[source_family]
    masks["kk_reissued"] = ctx.fam["kk_reissued"].to_numpy()[source_family]
    # A duplicate listed in another family is a relative there.
    relation = np.where(records.duplicate & (source_family != family), FAMILI_LAIN, relation)
    return {"nik": nik_text, "nama": name_text, "tgl_lahir": date_text, "age": age, "female": female,
            "relation": relation, "masks": masks, "true_nik_shown": true_nik_shown}


def observed_housing(ctx: Context, family_rows: np.ndarray, file_key: str, columns: dict[str, str]) -> dict:
    """Housing as one registry saw it: now and then a neighbouring category (the sources disagree)."""
    rng, fam = ctx.rng, ctx.fam
    path = SOURCE_FILES_BY_KEY[file_key].path
    seen = {}
    for spec in HOUSING:
        values = fam[spec.variable].to_numpy()[family_rows].astype(np.int16)
        if spec.variable in SHARED_HOUSING and spec.variable in columns:
            hit = rng.random(values.size) < ctx.rates.housing_disagreement
            step = np.where(rng.random(values.size) < 0.5, -1, 1)
            moved = values + step
            moved = np.where((moved < 0) | (moved >= len(spec.values)), values - step, moved)
            values = np.where(hit, moved, values)
            ctx.ledger.add("housing_disagreement", path, columns[spec.variable], hit, values.size)
        seen[spec.variable] = values
    # Keep what was seen coherent: a power rating only with a PLN meter; toilet details only with a toilet.
    meter = seen["penerangan"] == PLN_METER
    seen["daya_listrik"] = np.where(meter, np.where(seen["daya_listrik"] == NO_POWER, 0, seen["daya_listrik"]),
                                    NO_POWER)
    toilet = seen["fasilitas_bab"] != NO_FACILITY
    seen["jenis_kloset"] = np.where(toilet, np.where(seen["jenis_kloset"] < 0, 0, seen["jenis_kloset"]), -1)
    seen["pembuangan_tinja"] = np.where(
        toilet, np.where(seen["pembuangan_tinja"] < 0, PEMBUANGAN_TINJA.values.index("lubang_tanah"),
                         seen["pembuangan_tinja"]), -1)
    return seen


def welfare_columns(ctx: Context, source: str, seen: dict, family_rows: np.ndarray) -> dict:
    """REGSOSEK-style housing, asset, land and livestock columns (regsosek and susenas codes)."""
    fam, rng, codebook = ctx.fam, ctx.rng, ctx.codebook
    table = {}
    for spec in HOUSING:
        column = REGSOSEK_HOUSING[spec.variable]
        table[column] = codebook.encode(source, column, spec.variable, spec.values, seen[spec.variable], rng)
    table["LUAS_LANTAI"] = fam["luas_lantai"].to_numpy()[family_rows]
    for column, *_ in ASSETS:
        table[column] = encode_yes_no(codebook, source, column, fam[column].to_numpy()[family_rows], rng)
    table["LUAS_LAHAN"] = fam["luas_lahan"].to_numpy()[family_rows]
    table["RUMAH_LAIN"] = encode_yes_no(codebook, source, "RUMAH_LAIN", fam["rumah_lain"].to_numpy()[family_rows], rng)
    for column, *_ in LIVESTOCK:
        table[column] = fam[column].to_numpy()[family_rows]
    return table


def finish_registry(records: Records, fields: dict, record_id: pa.Array, family_table: dict,
                    person_table: dict) -> RegistryOutput:
    bits = inject.problem_bits(fields["masks"], records.person.size)
    return RegistryOutput(family_table, person_table, records, record_id, fields["nik"], fields["nama"], bits)


# ---------------------------------------------------------------- Dukcapil

def render_dukcapil(ctx: Context) -> dict:
    persons, fam = ctx.persons, ctx.fam
    family = persons["family"].to_numpy()
    alive = persons["is_alive"].to_numpy()
    death = dates(persons, "tgl_meninggal")
    return {
        "NIK": text(persons["nik"].to_numpy()),
        "NO_KK": text(fam["no_kk"].to_numpy()[family]),
        "NAMA_LGKP": pa.array(persons["nama"].to_numpy(), pa.string()),
        "TMPT_LHR": pa.array(persons["tmpt_lhr"].to_numpy(), pa.string()),
        "TGL_LHR": pa.array(dates(persons, "tgl_lahir")).cast(pa.string()),
        "JENIS_KLMIN": np.where(persons["female"].to_numpy(), "PEREMPUAN", "LAKI-LAKI").astype(object),
        "STAT_HBKEL": np.array(STAT_HBKEL, dtype=object)[persons["relation"].to_numpy()],
        "KODE_DESA": text(fam["kode_desa"].to_numpy()[family]),
        "ALAMAT": fam["alamat"].to_numpy()[family],
        "RT": padded(fam["rt"].to_numpy()[family], 3),
        "RW": padded(fam["rw"].to_numpy()[family], 3),
        "STATUS": np.where(alive, "HIDUP", "MENINGGAL").astype(object),
        "TGL_MENINGGAL": pa.array(death).cast(pa.string()),
    }


# ---------------------------------------------------------------- DTKS

# How each registry numbers its families and shows its persons: (family id prefix, person file, its
# NIK / name / birth date columns, birth dates day first, age given, the rate of ProblemRates of empty NIKs)
REGISTRY_RECORDS = {
    "dtks": ("", "dtks_art", {"nik": "NIK", "nama": "NAMA", "tgl_lahir": "TGL_LAHIR"}, True, False, "nik_empty"),
    "p3ke": ("P3KE", "p3ke_individu", {"nik": "NIK", "nama": "NAMA", "tgl_lahir": "TANGGAL_LAHIR"}, False, True,
             "nik_empty"),
    "regsosek": ("RS", "regsosek_individu", {"nik": "NIK", "nama": "NAMA", "tgl_lahir": "TGL_LAHIR"}, False, True,
                 "regsosek_nik_empty"),
}


def source_records(ctx: Context, source: str):
    """The families a registry holds (rows of the world's families), their village codes and ids
    (prefix + village + serial), their person records and the records' person fields."""
    prefix, file_key, columns, day_first, age_given, empty_rate = REGISTRY_RECORDS[source]
    in_source = ctx.fam[f"in_{source}"].to_numpy()
    family_rows = np.flatnonzero(in_source)
    kode_desa = ctx.fam["kode_desa_asal"].to_numpy()[family_rows]
    family_id = village_serial_ids(kode_desa, prefix, 5)
    records = select_records(ctx, in_source, dates(ctx.fam, f"tgl_{source}"), family_id, file_key)
    fields = person_fields(ctx, records, file_key, columns, day_first=day_first, age_given=age_given,
                           empty_rate=getattr(ctx.rates, empty_rate))
    return family_rows, kode_desa, family_id, records, fields


def render_dtks(ctx: Context) -> RegistryOutput:
    fam, persons, rng, codebook = ctx.fam, ctx.persons, ctx.rng, ctx.codebook
    family_rows, kode_desa, family_id, records, fields = source_records(ctx, "dtks")
    p = records.person

    # STATUS_PADAN as last stored in SIKS-NG: a match today needs the person's own NIK (cleaned of
    # apostrophe and spaces) and a living person; a stale status says the opposite.
    masks = fields["masks"]
    readable = fields["true_nik_shown"] | masks["nik_apostrophe"] | masks["nik_spaces"]
    padan_today = readable & persons["is_alive"].to_numpy()[p]
    stale = rng.random(p.size) < ctx.rates.status_padan_stale
    ctx.ledger.add("status_padan_stale", "dtks/art.csv", "STATUS_PADAN", stale, p.size)
    masks["status_padan_stale"] = stale
    status_padan = np.where(padan_today ^ stale, "PADAN", "TIDAK PADAN").astype(object)

    record_id = pc.binary_join_element_wise(family_id.take(pa.array(records.family_row)),
                                            padded(records.member_no, 2), "")
    art = {
        "ID_ART": record_id,
        "ID_KELUARGA": family_id.take(pa.array(records.family_row)),
        "NIK": fields["nik"], "NAMA": fields["nama"], "TGL_LAHIR": fields["tgl_lahir"],
        "JENIS_KELAMIN": sex_codes(codebook, "dtks", "JENIS_KELAMIN", fields["female"], rng),
        "HUB_KK": relation_codes(codebook, "dtks", "HUB_KK", fields["relation"]),
        "STATUS_PADAN": status_padan,
        "DISABILITAS": encode_yes_no(codebook, "dtks", "DISABILITAS", persons["disabilitas"].to_numpy()[p] == 1, rng),
    }
    spoil_coded(ctx, art, "dtks_art", "dtks", masks)

    seen = observed_housing(ctx, family_rows, "dtks_keluarga", DTKS_HOUSING)
    welfare = fam["welfare"].to_numpy()[family_rows]
    has_dependants = np.bincount(records.family_row, weights=(fields["age"] < 18) | (fields["age"] >= 60),
                                 minlength=family_rows.size) > 0
    programme = {  # current programme membership: the poorer, the likelier
        "PKH": has_dependants & (rng.random(family_rows.size) < np.clip(0.45 - 0.25 * welfare, 0.02, 0.9)),
        "BPNT": rng.random(family_rows.size) < np.clip(0.50 - 0.25 * welfare, 0.02, 0.95),
        "PBI_JK": rng.random(family_rows.size) < np.clip(0.75 - 0.20 * welfare, 0.05, 0.98),
    }
    kode_text = text(kode_desa)
    keluarga = {
        "ID_KELUARGA": family_id,
        "NO_KK": text(fam["no_kk_lama"].to_numpy()[family_rows]),
        "KODE_WILAYAH": pc.binary_join_element_wise(
            *(pc.utf8_slice_codeunits(kode_text, a, b) for a, b in ((0, 2), (2, 4), (4, 6), (6, 10))), "."),
        "ALAMAT": pc.binary_join_element_wise(
            pa.array(fam["alamat_asal"].to_numpy()[family_rows], pa.string()), "RT",
            padded(fam["rt_asal"].to_numpy()[family_rows], 3), "RW",
            padded(fam["rw_asal"].to_numpy()[family_rows], 3), " "),
        **{k: v.astype(np.int8) for k, v in programme.items()},
        "TGL_UPDATE": _day_first(dates(fam, "tgl_dtks")[family_rows]),
        "LUAS_LANTAI": fam["luas_lantai"].to_numpy()[family_rows],
        "PENERANGAN": codebook.encode_dtks_penerangan(PENERANGAN.values, seen["penerangan"],
                                                      HOUSING_BY_VARIABLE["daya_listrik"].values,
                                                      seen["daya_listrik"]),
    }
    for variable, column in DTKS_HOUSING.items():
        if column != "PENERANGAN":
            spec = HOUSING_BY_VARIABLE[variable]
            keluarga[column] = codebook.encode("dtks", column, variable, spec.values, seen[variable], rng)
    for column in DTKS_ASSET_COLUMNS:
        keluarga[column] = encode_yes_no(codebook, "dtks", column, fam[column].to_numpy()[family_rows], rng)
    spoil_coded(ctx, keluarga, "dtks_keluarga", "dtks", None)
    return finish_registry(records, fields, record_id, keluarga, art)


def _day_first(dates: np.ndarray) -> pa.Array:
    iso = pa.array(dates).cast(pa.string())
    return pc.binary_join_element_wise(pc.utf8_slice_codeunits(iso, 8, 10), pc.utf8_slice_codeunits(iso, 5, 7),
                                       pc.utf8_slice_codeunits(iso, 0, 4), "-")


# ---------------------------------------------------------------- P3KE

def occupation_labels(status: np.ndarray, sector: np.ndarray, position: np.ndarray, age: np.ndarray,
                      female: np.ndarray, rng) -> np.ndarray:
    """P3KE PEKERJAAN labels (codebook.csv) from REGSOSEK-style work codes."""
    n = status.size
    working = status == 1
    farm = working & (sector == 1)
    label = np.full(n, "Lainnya", dtype=object)
    label[~working] = "Tidak Bekerja"
    label[~working & (age >= 5) & (age < 25)] = "Pelajar/Mahasiswa"
    label[~working & female & (age >= 25)] = "Mengurus Rumah Tangga"
    own = farm & np.isin(position, (1, 2, 3, 8))
    kind = rng.random(n)
    label[own] = np.where(kind[own] < 0.8, "Petani/Pekebun", np.where(kind[own] < 0.9, "Nelayan", "Peternak"))
    label[farm & (position == 6)] = "Buruh Tani"
    label[farm & (position == 4)] = "Buruh Tani"
    label[working & ~farm & (position == 7)] = "Buruh Harian Lepas"
    label[working & ~farm & (position == 4)] = "Karyawan Swasta"
    label[working & (position == 5)] = "PNS/TNI/Polri"
    label[working & ~farm & np.isin(position, (1, 2, 3)) & (sector == 5)] = "Wiraswasta/Pedagang"
    return label


def render_p3ke(ctx: Context) -> RegistryOutput:
    fam, persons, rng, codebook = ctx.fam, ctx.persons, ctx.rng, ctx.codebook
    family_rows, kode_desa, family_id, records, fields = source_records(ctx, "p3ke")
    p = records.person
    age = fields["age"]
    education = school_code(age, persons["pendidikan"].to_numpy()[p])
    status = np.where(age < 10, 2, persons["status_bekerja"].to_numpy()[p])
    record_id = pc.binary_join_element_wise(family_id.take(pa.array(records.family_row)),
                                            padded(records.member_no, 2), "-")
    individu = {
        "ID_INDIVIDU": record_id,
        "ID_KELUARGA_P3KE": family_id.take(pa.array(records.family_row)),
        "NIK": fields["nik"], "NAMA": fields["nama"],
        "JENIS_KELAMIN": sex_codes(codebook, "p3ke", "JENIS_KELAMIN", fields["female"], rng),
        "TANGGAL_LAHIR": fields["tgl_lahir"], "USIA": age,
        "HUBUNGAN_DENGAN_KEPALA_KELUARGA": relation_codes(codebook, "p3ke", "HUBUNGAN_DENGAN_KEPALA_KELUARGA",
                                                          fields["relation"]),
        "PENDIDIKAN": education_codes(codebook, "p3ke", "PENDIDIKAN", education, rng),
        "PEKERJAAN": occupation_labels(status, persons["lapangan_usaha"].to_numpy()[p],
                                       persons["kedudukan_kerja"].to_numpy()[p], age, fields["female"], rng),
    }
    spoil_coded(ctx, individu, "p3ke_individu", "p3ke", fields["masks"])
    fields["masks"]["p3ke_label_noise"] = _p3ke_label_noise(ctx, individu, "p3ke_individu")

    # The head's NIK as P3KE has it (from the head's own record).
    head_record = np.flatnonzero((persons["relation"].to_numpy()[p] == HEAD) & ~records.duplicate)
    head_nik = pa.nulls(family_rows.size, pa.string())
    head_nik = pc.replace_with_mask(head_nik, _mask_at(family_rows.size, records.family_row[head_record]),
                                    fields["nik"].take(pa.array(head_record)))
    seen = observed_housing(ctx, family_rows, "p3ke_keluarga", P3KE_HOUSING)
    kode_text = text(kode_desa)
    keluarga = {
        "ID_KELUARGA_P3KE": family_id,
        "NO_KK": text(fam["no_kk_lama"].to_numpy()[family_rows]),
        "NIK_KEPALA_KELUARGA": head_nik,
        "KODE_PROVINSI": pc.utf8_slice_codeunits(kode_text, 0, 2),
        "KODE_KABUPATEN": pc.utf8_slice_codeunits(kode_text, 0, 4),
        "KODE_KECAMATAN": pc.utf8_slice_codeunits(kode_text, 0, 6),
        "KODE_DESA": kode_text,
        "DESIL_P3KE": fam["desil_p3ke"].to_numpy()[family_rows],
    }
    for variable, column in P3KE_HOUSING.items():
        spec = HOUSING_BY_VARIABLE[variable]
        keluarga[column] = codebook.encode("p3ke", column, variable, spec.values, seen[variable], rng)
    spoil_coded(ctx, keluarga, "p3ke_keluarga", "p3ke", None)
    _p3ke_label_noise(ctx, keluarga, "p3ke_keluarga")
    return finish_registry(records, fields, record_id, keluarga, individu)


def _p3ke_label_noise(ctx: Context, table: dict, file_key: str) -> np.ndarray:
    """Labels in random casing with stray spaces; returns the rows that got any."""
    source_file = SOURCE_FILES_BY_KEY[file_key]
    any_hit = np.zeros(len(table[source_file.columns[0]]), dtype=bool)
    for column in source_file.columns:
        if ctx.codebook.has("p3ke", column):
            valid = ctx.codebook.valid_codes("p3ke", column)
            labels = np.asarray(table[column], dtype=object)
            is_label = pd.Series(labels).isin(valid).to_numpy()
            noisy, hit = inject.label_noise(ctx.rng, np.where(is_label, labels, None), ctx.rates.p3ke_label_noise)
            table[column] = np.where(hit, noisy, labels)
            ctx.ledger.add("p3ke_label_noise", source_file.path, column, hit, is_label)
            any_hit |= hit
    return any_hit


def _mask_at(n: int, positions: np.ndarray) -> pa.Array:
    mask = np.zeros(n, dtype=bool)
    mask[positions] = True
    return pa.array(mask)


# ---------------------------------------------------------------- REGSOSEK

def render_regsosek(ctx: Context) -> RegistryOutput:
    fam, persons, rng, codebook = ctx.fam, ctx.persons, ctx.rng, ctx.codebook
    family_rows, kode_desa, family_id, records, fields = source_records(ctx, "regsosek")
    p = records.person
    age = fields["age"]
    working = (persons["status_bekerja"].to_numpy()[p] == 1) & (age >= 10)
    individu = {
        "ID_KELUARGA": family_id.take(pa.array(records.family_row)),
        "NO_ART": records.member_no,
        "NIK": fields["nik"], "NAMA": fields["nama"],
        "JK": sex_codes(codebook, "regsosek", "JK", fields["female"], rng),
        "TGL_LAHIR": fields["tgl_lahir"], "UMUR": age,
        "HUB_KK": relation_codes(codebook, "regsosek", "HUB_KK", fields["relation"]),
        "PENDIDIKAN": text(school_code(age, persons["pendidikan"].to_numpy()[p])),
        "STATUS_BEKERJA": np.where(working, "1", "2").astype(object),
        "LAPANGAN_USAHA": np.where(working, persons["lapangan_usaha"].to_numpy()[p].astype(str), None),
        "KEDUDUKAN_KERJA": np.where(working, persons["kedudukan_kerja"].to_numpy()[p].astype(str), None),
        "DISABILITAS": persons["disabilitas"].to_numpy()[p].astype(str).astype(object),
        "PENYAKIT_KRONIS": persons["penyakit_kronis"].to_numpy()[p].astype(str).astype(object),
    }
    spoil_coded(ctx, individu, "regsosek_individu", "regsosek", fields["masks"])
    record_id = pc.binary_join_element_wise(individu["ID_KELUARGA"], text(records.member_no), "-")

    seen = observed_housing(ctx, family_rows, "regsosek_keluarga", REGSOSEK_HOUSING)
    no_kk = text(fam["no_kk_lama"].to_numpy()[family_rows])
    no_kk_empty = rng.random(family_rows.size) < ctx.rates.regsosek_no_kk_empty
    ctx.ledger.add("regsosek_no_kk_empty", "regsosek/keluarga.csv", "NO_KK", no_kk_empty, family_rows.size)
    keluarga = {
        "ID_KELUARGA": family_id,
        "NO_KK": pc.if_else(pa.array(no_kk_empty), pa.scalar(None, pa.string()), no_kk),
        "KODE_DESA": text(kode_desa),
        "JUMLAH_ART": np.bincount(records.family_row, minlength=family_rows.size),
        **welfare_columns(ctx, "regsosek", seen, family_rows),
    }
    spoil_coded(ctx, keluarga, "regsosek_keluarga", "regsosek", None)
    return finish_registry(records, fields, record_id, keluarga, individu)


# ---------------------------------------------------------------- SUSENAS

def render_susenas(ctx: Context) -> dict:
    fam, persons, rng, codebook = ctx.fam, ctx.persons, ctx.rng, ctx.codebook
    family_rows = np.flatnonzero(fam["in_susenas"].to_numpy())
    # Households numbered within their district (today's village).
    district = fam["kode_desa"].to_numpy()[family_rows] // 10_000
    order = np.argsort(district, kind="stable")
    family_rows, district = family_rows[order], district[order]
    household_id = village_serial_ids(district, "", 5)

    living = persons["is_alive"].to_numpy()
    p_family = persons["family"].to_numpy()
    age = np.floor(persons["age"].to_numpy())
    counted = lambda mask: np.bincount(p_family, weights=living & mask, minlength=len(fam))[family_rows]  # noqa: E731
    head = fam["head"].to_numpy()[family_rows]
    working = persons["status_bekerja"].to_numpy()[head] == 1
    seen = {spec.variable: fam[spec.variable].to_numpy()[family_rows] for spec in HOUSING}
    measured = fam["pengeluaran_kapita"].to_numpy()[family_rows] * np.exp(0.08 * rng.standard_normal(family_rows.size))
    table = {
        "ID_RT": household_id,
        "KODE_KAB": text(fam["kode_desa"].to_numpy()[family_rows] // 1_000_000),
        "BOBOT": fam["bobot"].to_numpy()[family_rows],
        "PENGELUARAN_KAPITA": np.round(measured).astype(np.int64),
        "JUMLAH_ART": fam["jumlah_art"].to_numpy()[family_rows],
        "ART_BALITA": counted(age <= 4).astype(np.int64),
        "ART_SEKOLAH": counted((age >= 7) & (age <= 18)).astype(np.int64),
        "ART_LANSIA": counted(age >= 60).astype(np.int64),
        "ART_DISABILITAS": counted(persons["disabilitas"].to_numpy() == 1).astype(np.int64),
        "KRT_JK": sex_codes(codebook, "susenas", "KRT_JK", persons["female"].to_numpy()[head], rng),
        "KRT_UMUR": age[head].astype(np.int64),
        "KRT_PENDIDIKAN": text(persons["pendidikan"].to_numpy()[head]),
        "KRT_STATUS_BEKERJA": np.where(working, "1", "2").astype(object),
        "KRT_LAPANGAN_USAHA": np.where(working, persons["lapangan_usaha"].to_numpy()[head].astype(str), None),
        "KRT_KEDUDUKAN_KERJA": np.where(working, persons["kedudukan_kerja"].to_numpy()[head].astype(str), None),
        **welfare_columns(ctx, "susenas", seen, family_rows),
    }
    spoil_coded(ctx, table, "susenas_rumah_tangga", "susenas", None)
    return table
