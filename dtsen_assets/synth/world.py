"""The true world of one chunk: families and persons as they are, and as they were.

Time line: sources collected first (P3KE 2022, REGSOSEK Oct-Nov 2022, DTKS updates 2021 to
mid-2025), then the world moves on: persons die (2023-2025), families move village (second half
of 2025) and cards are re-issued (2023-2025). Dukcapil and truth/ show the world as of
2025-12-31; the sources show it as it was when they were collected, so they still list the dead,
the old village and the old card. Children born after a source was collected are not in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from faker.providers.address.id_ID import Provider as IndonesianAddresses

from dtsen_assets.synth import economy as eco
from dtsen_assets.synth.housing import draw_housing
from dtsen_assets.synth.identity import SerialRegistry, build_niks, build_no_kk
from dtsen_assets.synth.members import (
    ANAK, CUCU, FAMILI_LAIN, HEAD, ISTRI, MERTUA, ORANG_TUA, SUAMI, compose_families, schooling_and_work,
)
from dtsen_assets.synth.names import draw_names, join_parts, name_pools
from dtsen_assets.synth.problems import Coverage, ProblemRates
from dtsen_assets.synth.reference import Reference

AS_OF = np.datetime64("2025-12-31")
REGSOSEK_PERIOD = (np.datetime64("2022-10-15"), np.datetime64("2022-11-15"))
P3KE_PERIOD = (np.datetime64("2022-03-01"), np.datetime64("2023-01-01"))
DTKS_PERIOD = (np.datetime64("2021-01-01"), np.datetime64("2025-07-01"))
DEATH_PERIOD = (np.datetime64("2023-01-01"), np.datetime64("2025-12-01"))
REISSUE_PERIOD = (np.datetime64("2023-01-01"), np.datetime64("2025-12-01"))
MOVE_PERIOD = (np.datetime64("2025-07-01"), np.datetime64("2025-12-01"))
FIRST_CARD_PERIOD = (np.datetime64("2004-01-01"), np.datetime64("2022-10-01"))
REGISTERED_ELSEWHERE = 0.15     # adults whose NIK comes from another district of the area
DAYS_PER_YEAR = 365.2425

DUSUN = ("KRAJAN", "SUKAMAJU", "SUKAMULYA", "MEKARSARI", "SIDOMULYO", "KARANGANYAR", "TEGALSARI",
         "SUMBERSARI", "CIBEUREUM", "BABAKAN", "LEBAK", "KAUMAN", "PAYUNG", "LAMA", "BARU", "TENGAH",
         "TIMUR", "BARAT", "UTARA", "SELATAN", "PASAR", "PANTAI", "GUNUNG", "SAWAH")


@dataclass
class WorldChunk:
    index: int
    person_key_start: int
    villages: pd.DataFrame       # the chunk's sampled villages
    families: pd.DataFrame       # one row per family (family card), in village order
    persons: pd.DataFrame        # one row per person ever registered, grouped by family


def dates(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A date column as datetime64[D] (pandas keeps dates with a finer unit)."""
    return frame[column].to_numpy().astype("datetime64[D]")


def uniform_dates(rng: np.random.Generator, period: tuple[np.datetime64, np.datetime64], n: int) -> np.ndarray:
    start, end = period
    return start + rng.integers(0, int((end - start).astype(int)), n).astype("timedelta64[D]")


def build_chunk(index: int, villages: pd.DataFrame, person_key_start: int, reference: Reference,
                economy: eco.Economy, rates: ProblemRates, coverage: Coverage,
                rng: np.random.Generator, registry: SerialRegistry) -> WorldChunk:
    total = int(villages["persons"].sum())
    dead_count = int(rng.binomial(total, rates.dead)) if total > 1 else 0
    living = total - dead_count

    regencies = reference.regencies.set_index("kode_kab")
    v_kab = villages["kode_kab"].to_numpy()
    v_prov = villages["kode_prov"].to_numpy()
    v_kota = regencies["is_kota"].reindex(v_kab).to_numpy(bool)
    v_kelurahan = villages["is_kelurahan"].to_numpy(bool)
    v_effect = eco.VILLAGE_SD * rng.standard_normal(len(villages))
    v_weight = villages["persons"].to_numpy() / total

    # Families, drawn until their living members fill the chunk; the last one is cut to fit.
    drawn_village, drawn_welfare, drawn_size, filled = [], [], [], 0
    while filled < living:
        batch = int((living - filled) / 2.8) + 16
        village = rng.choice(len(villages), batch, p=v_weight)
        welfare = eco.family_welfare(rng, eco.lookup(economy.province_level, v_prov[village]), v_kota[village],
                                     v_kelurahan[village], v_effect[village])
        size = eco.family_size(rng, welfare)
        drawn_village.append(village), drawn_welfare.append(welfare), drawn_size.append(size)
        filled += int(size.sum())
    village = np.concatenate(drawn_village)
    welfare = np.concatenate(drawn_welfare)
    size = np.concatenate(drawn_size).astype(np.int64)
    keep = np.searchsorted(np.cumsum(size), living) + 1
    village, welfare, size = village[:keep], welfare[:keep], size[:keep]
    size[-1] -= size.sum() - living
    order = np.argsort(village, kind="stable")
    village, welfare, size = village[order], welfare[order], size[order]
    families = len(village)

    fam = pd.DataFrame({
        "kode_desa_asal": villages["kode_desa"].to_numpy()[village],
        "village": village,
        "kode_kab": v_kab[village],
        "kode_prov": v_prov[village],
        "urban": v_kota[village] | v_kelurahan[village],
        "welfare": welfare,
        "jumlah_art": size,
    })
    intercept = eco.lookup(economy.province_intercept, fam["kode_prov"].to_numpy())
    log_price = eco.lookup(economy.regency_price, fam["kode_kab"].to_numpy())
    if economy.world == "linear":
        # consumption linear in the dwelling and possessions, heteroscedastic noise (economy.py)
        housing = draw_housing(rng, welfare, fam["urban"].to_numpy(), size, fam["kode_prov"].to_numpy())
        z = eco.linear_index(economy, housing)
        log_expected = eco.linear_expected_log_consumption(intercept, log_price, z, size)
        noise_sd = eco.linear_noise_scale(economy.linear_noise_sd, z, fam["urban"].to_numpy())
        consumption = np.round(np.exp(log_expected + noise_sd * rng.standard_normal(families)))
    else:
        log_expected = eco.expected_log_consumption(intercept, log_price, welfare, size)
        consumption = np.round(np.exp(log_expected + eco.CONSUMPTION_NOISE_SD * rng.standard_normal(families)))
        housing = draw_housing(rng, welfare, fam["urban"].to_numpy(), size, fam["kode_prov"].to_numpy())
    fam["log_pengeluaran_expected"] = log_expected
    fam["pengeluaran_kapita"] = consumption.astype(np.int64)
    fam["is_poor"] = consumption < eco.POVERTY_LINE
    for column, values in housing.items():
        fam[column] = values

    members = compose_families(rng, size, welfare)
    dead = _dead_members(rng, dead_count, members, size)
    persons = _merge_members(members, dead)
    p_family = persons["family"].to_numpy()
    n = len(persons)
    age = persons["age"].to_numpy()
    birth = AS_OF - np.round(age * DAYS_PER_YEAR).astype("timedelta64[D]")
    death = dates(persons, "tgl_meninggal")
    birth = np.where(~np.isnat(death) & (birth >= death), death - 30, birth)
    persons["tgl_lahir"] = birth
    persons["person_key"] = person_key_start + np.arange(n)
    for column, values in schooling_and_work(rng, age, persons["female"].to_numpy(), welfare[p_family],
                                             fam["urban"].to_numpy()[p_family]).items():
        persons[column] = values

    head = np.flatnonzero(persons["relation"].to_numpy() == HEAD)
    fam["head"] = head

    # Names: about 30% of families pass a family name (marga) on to the head's children.
    family_name = name_pools().draw_surname(rng, families)
    uses_family_name = rng.random(families) < 0.30
    relation = persons["relation"].to_numpy()
    inherits = uses_family_name[p_family] & np.isin(relation, (HEAD, ANAK, CUCU)) & ~(
        persons["female"].to_numpy() & (relation == HEAD))
    for column, values in draw_names(rng, persons["female"].to_numpy(), p_family, inherits, family_name).items():
        persons[f"nama_{column}"] = values
    persons["nama"] = join_parts(persons["nama_first"], persons["nama_middle"], persons["nama_last"]) \
        .to_numpy(zero_copy_only=False)

    _moves_and_cards(rng, fam, villages, rates, persons, reference.villages)
    _identities(rng, fam, persons, villages, reference, rates, registry)
    _addresses(rng, fam, villages)
    _coverage(rng, fam, economy, coverage, reference)
    return WorldChunk(index, person_key_start, villages, fam, persons)


def _dead_members(rng: np.random.Generator, count: int, members: dict[str, np.ndarray],
                  size: np.ndarray) -> dict[str, np.ndarray]:
    """Members who died after the sources were collected: mostly the elderly."""
    families = size.size
    start = np.cumsum(size) - size
    head_age = members["age"][start]
    head_female = members["female"][start]
    has_spouse = (size >= 2) & np.isin(members["relation"][np.minimum(start + 1, members["relation"].size - 1)],
                                       (SUAMI, ISTRI))
    weight = 1.0 + 2.0 * (head_age >= 50)
    family = np.sort(rng.choice(families, count, p=weight / weight.sum())) if count else np.zeros(0, int)
    relation = np.array([ORANG_TUA, MERTUA, ANAK, FAMILI_LAIN])[
        rng.choice(4, count, p=[0.35, 0.25, 0.15, 0.25])].astype(np.int8)
    # A widowed head's spouse: at most one per family.
    first_of_family = np.r_[True, family[1:] != family[:-1]] if count else np.zeros(0, bool)
    widow = first_of_family & ~has_spouse[family] & (head_age[family] >= 40) & (rng.random(count) < 0.5)
    relation = np.where(widow, np.where(head_female[family], SUAMI, ISTRI), relation).astype(np.int8)
    f_age = head_age[family]
    u = rng.random(count)
    age = np.select(
        [widow, np.isin(relation, (ORANG_TUA, MERTUA)), relation == ANAK],
        [np.clip(f_age + rng.normal(0, 5, count), 25, 100), np.minimum(f_age + 20 + 16 * u, 101),
         u * np.clip(f_age - 18, 1, 30)],
        30 + 60 * u)
    female = np.where(widow, ~head_female[family], rng.random(count) < 0.55)
    return {"family": family, "relation": relation, "female": female, "age": age,
            "tgl_meninggal": uniform_dates(rng, DEATH_PERIOD, count)}


def _merge_members(members: dict[str, np.ndarray], dead: dict[str, np.ndarray]) -> pd.DataFrame:
    living = members["family"].size
    both = pd.DataFrame({k: np.concatenate([members[k], dead[k]]) for k in ("family", "relation", "female", "age")})
    both["tgl_meninggal"] = np.concatenate([np.full(living, np.datetime64("NaT"), dtype="datetime64[D]"),
                                            dead["tgl_meninggal"].astype("datetime64[D]")])
    both["is_alive"] = np.arange(len(both)) < living
    # The living in card order, then the dead of the family.
    return both.sort_values(["family", "is_alive"], ascending=[True, False], kind="stable", ignore_index=True)


def _moves_and_cards(rng: np.random.Generator, fam: pd.DataFrame, villages: pd.DataFrame,
                     rates: ProblemRates, persons: pd.DataFrame, all_villages: pd.DataFrame) -> None:
    """Who moved village (within the regency, or to another province) and whose card changed; the card
    numbers themselves come later."""
    families = len(fam)
    own = fam["village"].to_numpy()
    can_move = len(villages) >= 2
    moved = (rng.random(families) < rates.moved) & can_move
    # Moves stay in the regency where the chunk has another village of it, else in the area.
    kab = villages["kode_kab"].to_numpy()
    lo = np.searchsorted(kab, kab[own], side="left")
    hi = np.searchsorted(kab, kab[own], side="right")
    span = hi - lo
    in_regency = lo + (own - lo + 1 + rng.integers(0, np.maximum(span - 1, 1))) % np.maximum(span, 1)
    anywhere = (own + 1 + rng.integers(0, max(len(villages) - 1, 1), families)) % len(villages)
    destination = np.where(span >= 2, in_regency, anywhere)
    fam["village_now"] = np.where(moved, destination, own)
    fam["kode_desa"] = villages["kode_desa"].to_numpy()[fam["village_now"].to_numpy()]
    # Moved to a village of another province (any village of the country, not only the drop's: Dukcapil
    # has the family there today). Drawn only when the rate is set, so other drops keep their numbers.
    moved_province = np.zeros(families, dtype=bool)
    if rates.moved_province > 0:
        moved_province = ~moved & (rng.random(families) < rates.moved_province)
        province = fam["kode_prov"].to_numpy()
        codes, code_province = all_villages["kode_desa"].to_numpy(), all_villages["kode_prov"].to_numpy()
        target = rng.integers(0, codes.size, families)
        for _ in range(100):                   # redraw those that landed in their own province
            again = moved_province & (code_province[target] == province)
            if not again.any():
                break
            target[again] = rng.integers(0, codes.size, int(again.sum()))
        moved_province &= code_province[target] != province
        fam["kode_desa"] = np.where(moved_province, codes[target], fam["kode_desa"].to_numpy())
    fam["moved_province"] = moved_province
    # (the moved_province families count as moved from here on: new card, new address, PINDAH decisions)
    moved = moved | moved_province
    fam["moved"] = moved
    fam["kk_reissued"] = ~moved & (rng.random(families) < rates.kk_reissued)
    fam["moved_eligible"] = can_move


def _identities(rng: np.random.Generator, fam: pd.DataFrame, persons: pd.DataFrame, villages: pd.DataFrame,
                reference: Reference, rates: ProblemRates, registry: SerialRegistry) -> None:
    families = len(fam)
    p_family = persons["family"].to_numpy()
    n = len(persons)
    birth = dates(persons, "tgl_lahir")
    head_birth = birth[fam["head"].to_numpy()]

    # Family cards: the one the sources saw, and today's (a new one after a move or re-issue).
    adult = head_birth + np.timedelta64(int(18 * DAYS_PER_YEAR), "D")
    first_issue = uniform_dates(rng, FIRST_CARD_PERIOD, families)
    first_issue = np.where(first_issue < adult, np.minimum(adult + 30, FIRST_CARD_PERIOD[1]), first_issue)
    changed = fam["moved"].to_numpy() | fam["kk_reissued"].to_numpy()
    new_issue = np.where(fam["moved"].to_numpy(), uniform_dates(rng, MOVE_PERIOD, families),
                         uniform_dates(rng, REISSUE_PERIOD, families))
    old_district = fam["kode_desa_asal"].to_numpy() // 10_000
    new_district = fam["kode_desa"].to_numpy() // 10_000
    cards = build_no_kk(rng, np.r_[old_district, new_district], np.r_[first_issue, new_issue])
    fam["no_kk_lama"] = cards[:families]
    new_cards = cards[families:]
    across = fam["moved_province"].to_numpy()
    if across.any():
        # a card issued in a district of another chunk, whose own cards this chunk cannot see: serials
        # from 5000 (a district's own cards count from below 100), unique across chunks by the registry
        # (as the NIKs under retired codes): else two families could share a card they never shared
        new_cards[across] = registry.make_unique(new_cards[across] + 5000)
    fam["no_kk"] = np.where(changed, new_cards, cards[:families])
    fam["tgl_kk"] = np.where(changed, new_issue, first_issue)

    # NIK: first registered in the family's district, or (some adults) elsewhere in the area.
    districts = np.unique(villages["kode_kec"].to_numpy())
    district = old_district[p_family]
    age = persons["age"].to_numpy()
    elsewhere = (age >= 17) & (rng.random(n) < REGISTERED_ELSEWHERE)
    district = np.where(elsewhere, districts[rng.integers(0, districts.size, n)], district)
    born_before_2010 = birth < np.datetime64("2010-01-01")
    old_prefix = born_before_2010 & (rng.random(n) < rates.nik_old_prefix)
    birthdate_mismatch = rng.random(n) < rates.nik_birthdate_mismatch
    sex_mismatch = rng.random(n) < rates.nik_sex_mismatch
    female = persons["female"].to_numpy()
    persons["nik"] = build_niks(rng, district, birth, female, old_prefix, birthdate_mismatch, sex_mismatch,
                                reference.district_codes, registry)
    persons["nik_district"] = district
    persons["nik_old_prefix"] = old_prefix
    persons["nik_old_prefix_eligible"] = born_before_2010
    persons["nik_birthdate_mismatch"] = birthdate_mismatch
    persons["nik_sex_mismatch"] = sex_mismatch
    regency_name = reference.regencies.set_index("kode_kab")["nama_pendek"]
    persons["tmpt_lhr"] = regency_name.reindex(district // 100).to_numpy()


def _addresses(rng: np.random.Generator, fam: pd.DataFrame, villages: pd.DataFrame) -> None:
    """Street addresses in towns, hamlets (dusun, kampung) in villages; RT/RW numbers."""
    families = len(fam)
    streets = pa.array([s.upper() for s in IndonesianAddresses.streets])
    dusun = pa.array(DUSUN)
    kelurahan = villages["is_kelurahan"].to_numpy()

    def one(village: np.ndarray) -> tuple[pa.Array, np.ndarray, np.ndarray]:
        street = streets.take(rng.integers(0, len(streets), families))
        number = pa.array(rng.integers(1, 200, families)).cast(pa.string())
        in_town = pc.binary_join_element_wise("JL.", street, "NO.", number, " ")
        hamlet = pc.binary_join_element_wise(
            pa.array(np.where(rng.random(families) < 0.7, "DUSUN", "KP.")),
            dusun.take(rng.integers(0, len(dusun), families)), " ")
        address = pc.if_else(pa.array(kelurahan[village]), in_town, hamlet)
        return address, rng.integers(1, 16, families), rng.integers(1, 11, families)

    old_address, old_rt, old_rw = one(fam["village"].to_numpy())
    new_address, new_rt, new_rw = one(fam["village_now"].to_numpy())
    moved = fam["moved"].to_numpy()
    fam["alamat_asal"] = old_address.to_numpy(zero_copy_only=False)
    fam["rt_asal"], fam["rw_asal"] = old_rt, old_rw
    fam["alamat"] = np.where(moved, new_address.to_numpy(zero_copy_only=False), fam["alamat_asal"])
    fam["rt"] = np.where(moved, new_rt, old_rt)
    fam["rw"] = np.where(moved, new_rw, old_rw)


def _coverage(rng: np.random.Generator, fam: pd.DataFrame, economy: eco.Economy, coverage: Coverage,
              reference: Reference) -> None:
    families = len(fam)
    welfare = fam["welfare"].to_numpy()
    well_off = welfare >= coverage.regsosek_well_off_welfare
    fam["in_regsosek"] = rng.random(families) < np.where(well_off, coverage.regsosek_families_well_off,
                                                         coverage.regsosek_families)
    fam["in_dtks"] = eco.dtks_score(rng, welfare, coverage) < economy.dtks_cut
    p3ke = eco.p3ke_score(rng, welfare, coverage)
    fam["in_p3ke"] = (p3ke < economy.p3ke_cuts[-1]) & (rng.random(families) < coverage.p3ke_listed)
    fam["desil_p3ke"] = np.minimum(np.searchsorted(np.asarray(economy.p3ke_cuts), p3ke) + 1, 4)
    fam["tgl_regsosek"] = uniform_dates(rng, REGSOSEK_PERIOD, families)
    fam["tgl_p3ke"] = uniform_dates(rng, P3KE_PERIOD, families)
    fam["tgl_dtks"] = uniform_dates(rng, DTKS_PERIOD, families)
    # SUSENAS: smaller regencies are sampled at a higher rate (each regency needs its sample).
    population = reference.regencies.set_index("kode_kab")["population"]
    share = population.rank(pct=True).reindex(fam["kode_kab"].to_numpy()).to_numpy()
    rate = coverage.susenas_max_rate - (coverage.susenas_max_rate - coverage.susenas_min_rate) * share
    # (not a family that moved province: SUSENAS numbers its households by district within a chunk, and
    # the new district belongs to another chunk)
    fam["in_susenas"] = (rng.random(families) < rate) & ~fam["moved_province"].to_numpy()
    fam["bobot"] = np.round(1.0 / rate * rng.uniform(0.85, 1.15, families), 2)   # non-response adjusted
