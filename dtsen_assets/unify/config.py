"""Run parameters of the unify stage: thresholds and model settings, with documented defaults.

`UnifyConfig` is a `dg.Config`, so the asset shows every value in the launchpad, and the plain
functions take the same object (defaults apply when it is built outside Dagster). The defaults
are set from what the rules mean, not fitted to the generator: they were checked on generated
drops with problem rates from zero to three times the documented ones.
"""

import datetime as dt

import dagster as dg
from pydantic import Field


class UnifyConfig(dg.Config):
    """How source records are matched to Dukcapil, linked into persons and checked."""

    # --- padan, step 1: a record's own NIK (padan_exact.sql) ---
    exact_min_name_score: float = Field(
        default=0.80, description=(
            "NIK found in Dukcapil, same birth date and sex: the names must agree at least this much "
            "(1 = same tokens in any order, 0.97 = one name inside the other, else Jaro-Winkler)."))
    exact_min_name_score_without_date: float = Field(
        default=0.90, description="NIK found, the record has no birth date (its age, if any, fits): name agreement needed.")
    exact_min_name_score_near_date: float = Field(
        default=0.95, description="NIK found, birth dates differ in one of day, month, year (or day/month swapped): name agreement needed.")

    # --- padan, step 2: the candidate search (Splink model, search_*.sql) ---
    not_in_dukcapil_prior: float = Field(
        default=0.02, description=(
            "Prior share of searched records whose person is not in Dukcapil at all. It weighs 'none of the "
            "candidates' against the candidates when a record's posterior is computed (model.py)."))
    search_accept_probability: float = Field(
        default=0.95, description="A searched record takes its best Dukcapil candidate when its posterior is at least this.")
    min_identity_weight: float = Field(
        default=4.0, description=(
            "Match weight (bits) the person's own identity (name, birth date, sex) must bring for a candidate to be "
            "accepted. The NIK, the village and the family card do not count: a relative whose NIK was copied "
            "(NIK ganda) shares them, so they never make a match by themselves; two people sharing one NIK stay two."))
    min_identity_weight_named: float = Field(
        default=-3.0, description=(
            "The same, when the record itself names the candidate (its NIK one edit or less from the candidate's, "
            "or the NIK a village meeting gave): the identity must then only not contradict it. A relative's NIK "
            "copied onto a record comes with another name and birth date (about -10 bits or less); a misspelt "
            "name with only an age stays around -3 to 0."))
    keep_match_weight: float = Field(
        default=-12.0, description="Scored pairs below this match weight are dropped (they cannot change a decision).")

    # --- training of the Fellegi-Sunter model (Splink) ---
    training_records: int = Field(
        default=25_000, description="Source records sampled (deterministically, by record id) to train the model.")
    training_dukcapil_extra: int = Field(
        default=25_000, description="Dukcapil persons added at random to the training sample (besides those the sampled records name).")
    min_training_records: int = Field(
        default=2_000, description="Below this many sampled records the model keeps its prior parameters (model.py).")
    u_max_pairs: float = Field(
        default=500_000, description="Random (record, Dukcapil person) pairs u probabilities are counted on.")
    seed: int = Field(default=42, description="Seed of the random pair sampling (deterministic u estimates).")
    # --- profiling ---
    profile_statements: bool = Field(
        default=False, description="Time every SQL statement on its own (timings '<file>#<n>'), for profiling.")

    # --- the rest: records no Dukcapil person was accepted for (linkage.py) ---
    rest_accept_probability: float = Field(
        default=0.95, description="An unmatched record joins another record's person at this posterior or above.")

    # --- persons and families ---
    age_reference_year: int = Field(
        default=2022, description="Year the ages of REGSOSEK and P3KE were counted in (both collected in 2022).")
    regsosek_reference_date: str = Field(
        default="2022-11-15", description="When REGSOSEK was collected: a DTKS family updated later wins (survivorship).")
    as_of_date: str | None = Field(
        default=None, description="Date ages are counted at for family composition (YYYY-MM-DD); today when unset.")
    # --- checks ---
    max_tidak_padan_share: float = Field(
        default=0.10, description="Blocking: largest share of active persons that may be TIDAK_PADAN.")
    max_unknown_code_share: float = Field(
        default=0.05, description="Blocking: largest share of families whose value of a welfare variable is an unknown code.")
    max_rejected_share: float = Field(
        default=0.01, description="Warning: largest share of source records rejected (no person).")

    def as_of(self) -> dt.date:
        return dt.date.fromisoformat(self.as_of_date) if self.as_of_date else dt.date.today()
