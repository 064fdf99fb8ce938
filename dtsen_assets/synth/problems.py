"""Every rate of the generator in one place: the problems it injects and the coverage of the sources.

`ProblemRates` holds the problems of sources.md ("What real extracts contain"). Each rate is
a probability per eligible unit (a record, a cell, a person, a family); which units are
eligible is said beside the rate and counted in truth/problems.csv, so a test can compare
`injected_count / eligible_count` with `documented_rate`. `ProblemRates.zero()` gives a clean
drop, `rates.scaled(2)` a harder one, `rates.with_overrides(nik_typo=0.1)` anything between.

`Coverage` says who is in which source. It is not a problem (a clean drop has it too), so
scaling problem rates leaves it alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

# The NIK problems of one source record are exclusive: one categorical draw per record picks at
# most one of them, so each rate is exactly the share of records showing that problem.
NIK_PROBLEMS: tuple[str, ...] = (
    "nik_apostrophe", "nik_spaces", "nik_too_short", "nik_too_long", "nik_all_zero",
    "nik_typo", "nik_ganda", "nik_empty",
)
DATE_PROBLEMS: tuple[str, ...] = ("date_impossible", "date_placeholder", "date_missing_age_only")
NAME_PROBLEMS: tuple[str, ...] = (
    "name_missing_part", "name_swapped", "name_abbreviation", "name_typo", "name_title",
    "name_bin_binti", "name_casing",
)


@dataclass(frozen=True)
class ProblemRates:
    """Rates of the problems injected into a drop (probability per eligible unit)."""

    # --- NIK of a source person record (dtks/art, p3ke/individu, regsosek/individu; exclusive) ---
    nik_apostrophe: float = 0.02       # Excel habit: "'3201..." (the digits are right)
    nik_spaces: float = 0.01           # spaces inside or around the 16 digits
    nik_too_short: float = 0.005       # one or two digits lost
    nik_too_long: float = 0.005        # one digit typed twice
    nik_all_zero: float = 0.003        # "0000000000000000" where the NIK was unknown
    nik_typo: float = 0.02             # one edit: a digit replaced or two neighbours swapped
    nik_ganda: float = 0.004           # the NIK of another person (mostly a family member)
    nik_empty: float = 0.01            # no NIK (dtks, p3ke)
    regsosek_nik_empty: float = 0.12   # no NIK in REGSOSEK, where enumerators often left it out

    # --- NIK of a person in Dukcapil (a NIK never changes, so every source shows it too) ---
    nik_birthdate_mismatch: float = 0.01  # birth-date digits differ from the recorded birth date
    nik_sex_mismatch: float = 0.003       # day digits without (or with) the +40 of women
    nik_old_prefix: float = 0.03          # persons born before 2010: first registered under a
    #                                       region code that no longer exists (regions split since)

    # --- name of a source person record (several may hit one record) ---
    name_missing_part: float = 0.03    # a part left out (names of two or more parts)
    name_swapped: float = 0.02         # parts in another order (two or more parts)
    name_abbreviation: float = 0.04    # MUHAMMAD -> MUH./MOCH./M., ABDUL -> ABD., a part -> initial
    name_typo: float = 0.03            # one letter replaced, lost, doubled or swapped
    name_title: float = 0.04           # H., HJ, DRS., IR., S.PD, S.E. ... (persons aged 25 or more)
    name_bin_binti: float = 0.03       # "... BIN <father>" / "... BINTI <father>"
    name_casing: float = 0.15          # lower, title or mixed case instead of upper

    # --- birth date of a source person record (exclusive) ---
    date_impossible: float = 0.003     # a day the month does not have (31-02-1980)
    date_placeholder: float = 0.006    # 01-01-1900 where the date was unknown
    date_missing_age_only: float = 0.03  # empty date, only the age (p3ke, regsosek: they have an age)

    # --- coded cells (every column of codebook.csv in a family or person file) ---
    code_outside_codebook: float = 0.002  # a code or label codebook.csv does not know
    empty_cell: float = 0.004             # the cell left empty (not a skipped question)
    p3ke_label_noise: float = 0.30        # P3KE label in random casing with stray spaces
    regsosek_no_kk_empty: float = 0.05    # REGSOSEK family without NO_KK

    # --- the world changing after the sources were collected ---
    dead: float = 0.02                 # persons who died after every source was collected
    #                                    (Dukcapil MENINGGAL, still listed by the sources)
    moved: float = 0.03                # families that moved village after the sources (new card too)
    moved_province: float = 0.0        # families that moved to another province after the sources (new
    #                                    card there; the sources still list them at home). None by
    #                                    default, so that default drops stay comparable across rounds;
    #                                    the province shards are measured with it (docs/scale.md)
    kk_reissued: float = 0.05          # other families whose card was re-issued since

    # --- records and families ---
    duplicate_in_source: float = 0.01  # a person record listed again in the same source under
    #                                    another record id (in another family of the village)
    housing_disagreement: float = 0.07  # per family and housing variable: the source reports a
    #                                     neighbouring category instead of the true one
    status_padan_stale: float = 0.10   # DTKS STATUS_PADAN says the opposite of a match made today
    verivali_wrong_claim: float = 0.10  # village meeting decisions that are not true

    @classmethod
    def zero(cls) -> "ProblemRates":
        """A clean drop: no problem injected anywhere."""
        return cls(**{f.name: 0.0 for f in fields(cls)})

    def scaled(self, factor: float) -> "ProblemRates":
        """Every rate times `factor` (capped at 1)."""
        return replace(self, **{k: min(1.0, v * factor) for k, v in asdict(self).items()})

    def with_overrides(self, **overrides: float) -> "ProblemRates":
        unknown = set(overrides) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown problem rate(s): {', '.join(sorted(unknown))}")
        return replace(self, **{k: float(v) for k, v in overrides.items()})

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"rate {name}={value} is not a probability")
        # One draw per record picks at most one problem of an exclusive group: REGSOSEK uses
        # regsosek_nik_empty in place of nik_empty.
        nik_total = sum(getattr(self, n) for n in NIK_PROBLEMS if n != "nik_empty") + max(
            self.nik_empty, self.regsosek_nik_empty)
        date_total = sum(getattr(self, n) for n in DATE_PROBLEMS)
        for group, total in ((NIK_PROBLEMS, nik_total), (DATE_PROBLEMS, date_total)):
            if total > 1.0 + 1e-9:
                raise ValueError(f"the exclusive rates {', '.join(group)} sum to {total:.2f} > 1")

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Coverage:
    """Who is in which source (not problems: a clean drop has the same coverage)."""

    # REGSOSEK 2022 aimed at a census: most families, fewer of the well-off.
    regsosek_families: float = 0.95        # families with latent welfare below the next line
    regsosek_well_off_welfare: float = 0.5  # latent welfare (about N(0, 1)) counted as well-off
    regsosek_families_well_off: float = 0.85
    # DTKS: families whose DTKS ranking score (welfare + noise) is among the lowest 30%.
    dtks_families: float = 0.30
    dtks_score_noise: float = 0.55         # sd of the noise: inclusion and exclusion errors
    # P3KE: families P3KE ranked into its deciles 1-4 (noisier ranking), of which 80% were listed.
    p3ke_ranked_share: float = 0.40
    p3ke_listed: float = 0.80
    p3ke_score_noise: float = 0.65
    # SUSENAS: a household sample of 2-3.5% per regency (smaller regencies sampled more).
    susenas_min_rate: float = 0.02
    susenas_max_rate: float = 0.035
    # Village meetings (verivali): the share of candidate cases a meeting brings up, per AKSI.
    verivali_meninggal: float = 0.4        # of dead persons listed in DTKS
    verivali_pindah: float = 0.4           # of moved DTKS families (their head)
    verivali_mampu: float = 0.03           # of DTKS families
    verivali_perbaikan_nik: float = 0.3    # of DTKS records whose NIK is wrong
    verivali_usulan_baru: float = 0.02     # of families not in DTKS
    verivali_tetap: float = 0.03           # of DTKS families (their head)
    # Cek Bansos (cekbansos.py): proposals and objections citizens file in the app.
    cekbansos_usul: float = 0.03           # of families not in DTKS (their head); and of persons aged 18-24 (KIP)
    cekbansos_sanggah: float = 0.03        # of DTKS families receiving PKH or BPNT (their head)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)
