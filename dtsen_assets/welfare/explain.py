"""Why a family's predicted welfare differs from a typical family of its regency, in words.

For a sanggahan (a family objects to its desil) a village officer needs the few recorded facts that
moved the family's predicted per-capita consumption most above or below a *typical family of its
kabupaten/kota*: the family whose every variable is the regency's most common value (median for
numbers) among scored families (`sql/welfare/reference_profile.sql`).

Contribution of a variable, in log points of predicted per-capita consumption:
- linear models (OLS, ridge, ridge with regional slopes): coefficient x (family's design value -
  typical family's design value), summed over the variable's design columns. Every design column
  belongs to one variable and the region is the same, so the contributions add up exactly to
  log(prediction) - log(prediction for the typical family);
- other models: the change in the prediction when that variable alone is set to the typical value.
A family scored by a poorer data tier's model is explained by that model, with only its variables.
A contribution c is shown as an effect of (exp(c) - 1) x 100 percent. Variables the registries did
not record for the family (filled in for scoring) are never given as reasons; their number is shown.

One fact, one line: variables that describe one fact (`FACTS`: the head's work is status, sector and
position; the toilet is facility, type and disposal) are explained together as that fact, with
the sum of their contributions as its net effect and their values in one phrase. A head who does
not work is then "pekerjaan kepala keluarga: tidak bekerja", lowering the estimate by the net of
the three, instead of a sector line lowering it and a position line raising it side by side.
For a non-linear model the fact's effect is the sum of its variables' single swaps (approximate).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from dtsen_assets.platform.sql import render
from dtsen_assets.welfare.features import EncodedBatch, blank_outside_tier
from dtsen_assets.welfare.models import PmtModel, Prediction, linear_weights, union_product
from dtsen_assets.welfare.variables import (
    CATEGORICAL,
    DESCRIPTION,
    DWELLING_AND_POSSESSIONS,
    FULL_TIER,
    MODEL_VARIABLES,
    NOT_APPLICABLE_LABELS,
    NUMERIC,
    TIERS,
    ValueLabels,
    value_labels,
)

SOURCE_COLUMNS = tuple(f"{v}_source" for v in DWELLING_AND_POSSESSIONS)
EXPLANATION_SCHEMA: dict[str, pa.DataType] = {
    "family_id": pa.string(), "peringkat": pa.int32(), "variabel": pa.string(), "nilai_keluarga": pa.string(),
    "nilai_umum_kabupaten": pa.string(), "sumber": pa.string(), "dampak_persen": pa.float64(), "arah": pa.string(),
    "penjelasan": pa.string(), "selisih_dari_keluarga_umum_persen": pa.float64(),
    "variabel_tidak_terdata": pa.int32(), "data_model": pa.string(), "model_version": pa.string(),
}
EXPLANATION_COLUMNS = tuple(EXPLANATION_SCHEMA)


# Variables that describe one fact, explained together (the first one names where the fact is shown).
FACTS: dict[str, tuple[str, ...]] = {
    "krt_pekerjaan": ("krt_status_bekerja", "krt_lapangan_usaha", "krt_kedudukan_kerja"),
    "fasilitas_sanitasi": ("fasilitas_bab", "jenis_kloset", "pembuangan_tinja"),
}
FACT_DESCRIPTION: dict[str, str] = {
    "krt_pekerjaan": "pekerjaan kepala keluarga (status, lapangan usaha, kedudukan)",
    "fasilitas_sanitasi": "fasilitas buang air besar (fasilitas, jenis kloset, pembuangan tinja)",
}


# First values of a fact that say the fact is absent (then "not applicable" values belong to the story).
_FACT_ABSENT = frozenset({"tidak_bekerja", "tidak_ada"})


def explanation_units() -> list[tuple[str, tuple[str, ...]]]:
    """(name, variables) in MODEL_VARIABLES order: a fact in place of its first variable, else one variable."""
    in_fact = {v: fact for fact, members in FACTS.items() for v in members}
    units, seen = [], set()
    for variable in MODEL_VARIABLES:
        fact = in_fact.get(variable)
        if fact is None:
            units.append((variable, (variable,)))
        elif fact not in seen:
            seen.add(fact)
            units.append((fact, tuple(v for v in FACTS[fact] if v in MODEL_VARIABLES)))
    return units


UNITS: list[tuple[str, tuple[str, ...]]] = explanation_units()


@dataclass(frozen=True)
class ExplanationSettings:
    factors_per_direction: int = 3       # at most this many factors raising, and lowering, the prediction
    min_effect_percent: float = 1.0      # smaller effects are not worth a village officer's time


@dataclass
class ExplanationResult:
    families: int
    rows: int
    families_without_factor: int


# ----------------------------------------------------------------------------------------------
# Typical family per regency
# ----------------------------------------------------------------------------------------------

def reference_profiles(connection: duckdb.DuckDBPyConnection, families_sql: str) -> pd.DataFrame:
    """One row per kode_kab with every model variable at its typical value (index: kode_kab)."""
    sql = render("welfare/reference_profile", families=families_sql, categorical=", ".join(CATEGORICAL),
                 categorical_sets=", ".join(f"(kode_kab, {v})" for v in CATEGORICAL), numeric=", ".join(NUMERIC),
                 numeric_medians=", ".join(f"CAST(quantile_disc({v}, 0.5) AS VARCHAR) AS {v}" for v in NUMERIC))
    long = connection.execute(sql).df()
    wide = long.pivot(index="kode_kab", columns="variabel", values="nilai")
    profile = pd.DataFrame(index=wide.index)
    for variable in MODEL_VARIABLES:
        column = wide[variable] if variable in wide else pd.Series(None, index=wide.index, dtype=object)
        profile[variable] = pd.to_numeric(column, errors="coerce") if variable in NUMERIC else column.astype(object)
    profile["kode_kab"] = profile.index.astype(str)
    return profile


# ----------------------------------------------------------------------------------------------
# Contributions
# ----------------------------------------------------------------------------------------------

@dataclass
class Explained:
    """A batch's contributions, and what scoring it takes from the same encoded rows."""

    contribution: np.ndarray     # n x len(MODEL_VARIABLES), log points
    total: np.ndarray            # log f(family) - log f(typical family)
    prediction: Prediction       # log f(family) and the values filled in, as PmtModel.predict gives them


def explain_and_predict(model: PmtModel, frame: pd.DataFrame, typical: pd.DataFrame,
                        profile_labels: np.ndarray | None = None) -> Explained:
    """Contributions (n x len(MODEL_VARIABLES), log points), log f(family) - log f(typical family), and
    the family's own prediction: one encoding of each family serves its score and its explanation.

    `typical` holds one row per family (the typical family of its regency), aligned with `frame`;
    `profile_labels` (optional, e.g. the kode_kab) says which rows of `typical` are the same profile,
    so each profile is encoded and predicted once instead of once per family.
    Each family is explained by the model of its data tier (`data_model`), which sees only that
    tier's variables, for the family and for its typical family alike.
    """
    out = np.zeros((len(frame), len(MODEL_VARIABLES)))
    total = np.zeros(len(frame))
    log_consumption = np.empty(len(frame))
    filled = np.zeros(len(frame), dtype=np.int32)
    for tier, rows, family_batch in model.tier_batches(frame):
        labels = profile_labels[rows] if profile_labels is not None else np.arange(len(rows))
        out[rows], total[rows], log_consumption[rows] = _contributions(
            model, model.candidate(tier), family_batch, _TierRows(frame, typical, rows, tier), labels)
        filled[rows] = model.filled(family_batch, tier)
    return Explained(out, total, Prediction(log_consumption, filled))


@dataclass
class _TierRows:
    """One data tier's rows of a batch and of its typical families, as that tier's model sees them
    (the variables outside the tier unknown); frames made only when asked for."""

    frame: pd.DataFrame
    typical: pd.DataFrame
    rows: np.ndarray
    tier: str

    def _seen(self, frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
        part = frame if rows.size == len(frame) and rows is self.rows else frame.iloc[rows]
        return part if self.tier == FULL_TIER else blank_outside_tier(part, self.tier)

    def family(self) -> pd.DataFrame:
        return self._seen(self.frame, self.rows)

    def typical_rows(self, positions: np.ndarray | None = None) -> pd.DataFrame:
        """The typical families of the tier's rows (of its rows at `positions`, when given)."""
        return self._seen(self.typical, self.rows if positions is None else self.rows[positions])


def contributions(model: PmtModel, frame: pd.DataFrame, typical: pd.DataFrame,
                  profile_labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`explain_and_predict`'s contributions and differences from the typical family."""
    explained = explain_and_predict(model, frame, typical, profile_labels)
    return explained.contribution, explained.total


def _contributions(model: PmtModel, chosen, family_batch: EncodedBatch, part: _TierRows,
                   labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(contributions, total, log prediction of each family) for one data tier's rows."""
    # the typical families repeat one profile per regency: encode and predict each profile once
    _, profile_of_row = np.unique(labels.astype(str), return_inverse=True)
    first_rows = np.unique(profile_of_row, return_index=True)[1]
    typical_batch = model.encode(part.typical_rows(first_rows))
    if chosen.linear:
        # coefficient x design column, summed per variable, beside the coefficients themselves: one columns x
        # (variables + 1) matrix applied to the encoded rows without building the design; its last column is
        # the linear predictor, so the prediction is the one Candidate.predict makes (models.linear_weights)
        weights = linear_weights(chosen, _grouping_matrix(chosen.design_variables()))
        family = union_product(model.encoder, family_batch, weights)
        difference = family - union_product(model.encoder, typical_batch, weights)[profile_of_row]
        return difference[:, :-1], difference[:, -1], family[:, -1] + chosen.intercept_
    base = chosen.predict(family_batch)
    total = base - chosen.predict(typical_batch)[profile_of_row]
    frame, typical = part.family(), part.typical_rows()
    out = np.zeros((len(frame), len(MODEL_VARIABLES)))
    for j, variable in enumerate(MODEL_VARIABLES):     # (scoring holds BLAS to one thread)
        swapped = frame.copy()
        swapped[variable] = typical[variable].to_numpy()
        out[:, j] = base - chosen.predict(model.encode(swapped))
    return out, total, base


def _grouping_matrix(column_variables: list[str]) -> sp.csr_matrix:
    index = {v: j for j, v in enumerate(MODEL_VARIABLES)}
    rows = [i for i, v in enumerate(column_variables) if v in index]
    cols = [index[column_variables[i]] for i in rows]
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(column_variables), len(MODEL_VARIABLES)))


def top_factors(contribution: np.ndarray, known: np.ndarray, per_direction: int,
                min_effect_percent: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per direction (raising, lowering): (row, variable) index pairs of the strongest known factors."""
    threshold = np.log1p(min_effect_percent / 100.0)
    selected = []
    for sign in (1.0, -1.0):
        signed = np.where(known, sign * contribution, -np.inf)
        order = np.argsort(-signed, axis=1, kind="stable")[:, :per_direction]
        strength = np.take_along_axis(signed, order, axis=1)
        keep = strength >= threshold
        rows = np.repeat(np.arange(contribution.shape[0])[:, None], order.shape[1], axis=1)
        selected.append((rows[keep], order[keep]))
    return selected


# ----------------------------------------------------------------------------------------------
# Words
# ----------------------------------------------------------------------------------------------

def describe_value(variable: str, value: object, labels: ValueLabels) -> str:
    if _missing(value):
        return "tidak terdata"
    if variable in NUMERIC:
        number = float(value)
        return f"{number:,.0f}".replace(",", ".") if number == round(number) else f"{number:.1f}".replace(".", ",")
    return labels.label(variable, value)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


class _Words:
    """The words of one batch as indices into one vocabulary: each distinct value (or combination of a
    fact's values) is worded once, and the columns are built by `pyarrow` from indices, not row by row."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}

    def index(self, words: list[str]) -> np.ndarray:
        return np.array([self._index.setdefault(w, len(self._index)) for w in words], dtype=np.int64)

    def column(self, indices: np.ndarray) -> pa.Array:
        """The words at `indices` (-1: null)."""
        return pa.array(list(self._index), type=pa.string()).take(pa.array(indices, mask=indices < 0))


def _factorized(columns: list[np.ndarray]) -> tuple[np.ndarray, list[tuple]]:
    """(code per row, the distinct combinations) of one or more value columns; a missing value is None."""
    codes, uniques = [], []
    for values in columns:
        code, unique = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
        codes.append(code)
        uniques.append(list(unique) + [None])           # code -1 (missing) -> the last entry, None
    if len(columns) == 1:
        return codes[0] % len(uniques[0]), [(u,) for u in uniques[0]]
    stacked = np.column_stack([c % len(u) for c, u in zip(codes, uniques)])
    combination, code = np.unique(stacked, axis=0, return_inverse=True)
    return code.reshape(-1), [tuple(uniques[j][k] for j, k in enumerate(row)) for row in combination]


def _describe_unit(members: tuple[str, ...], values: list[object], labels: ValueLabels) -> str:
    """The values of a unit's variables in one phrase: the distinct recorded labels, in order
    ("tidak bekerja" once for a head who does not work; "bekerja, pertanian, berusaha sendiri")."""
    words: list[str] = []
    for position, (variable, value) in enumerate(zip(members, values)):
        if _missing(value):
            continue
        if position > 0 and str(value) in NOT_APPLICABLE_LABELS and str(values[0]) not in _FACT_ABSENT:
            continue      # "does not apply" after a first value saying it does (a typical profile of modes)
        word = describe_value(variable, value, labels)
        if word not in words:
            words.append(word)
    return ", ".join(words) if words else "tidak terdata"


def _describe(members: tuple[str, ...], columns: list[np.ndarray], labels: ValueLabels, words: _Words) -> np.ndarray:
    """Vocabulary index of the words of each row (one variable's value, or a fact's values in one phrase)."""
    code, combinations = _factorized(columns)
    if len(members) == 1:
        phrases = [describe_value(members[0], values[0], labels) for values in combinations]
    else:
        phrases = [_describe_unit(members, list(values), labels) for values in combinations]
    return words.index(phrases)[code]


def _capitalized(text: str) -> str:
    return f"{text[0].upper()}{text[1:]}"


def _percent_words(effect_percent: np.ndarray) -> pa.Array:
    """abs(effect) to whole percent, as f"{x:.0f}" writes it (round half to even)."""
    magnitude = np.abs(effect_percent)
    whole = np.rint(np.minimum(magnitude, 1e15)).astype(np.int64)
    text = pa.array(whole).cast(pa.string())
    huge = np.flatnonzero(magnitude >= 1e15)
    if huge.size:                                    # beyond int64's exact range: Python's own formatting
        patched = text.to_pylist()
        for i in huge:
            patched[i] = f"{magnitude[i]:.0f}"
        text = pa.array(patched, type=pa.string())
    return text


def sentences(description: pa.Array, family_value: pa.Array, typical_value: pa.Array, regency: pa.Array,
              effect_percent: np.ndarray, source: pa.Array) -> pa.Array:
    """The sentence of each factor: "<Description>: <family value>[ menurut <SOURCE>] (umumnya di <regency>:
    <typical value>). Ini menaikkan/menurunkan perkiraan pengeluaran per orang sekitar <n>%."; `description`
    capitalized, `regency` an empty string when unknown, `source` null when none."""
    according = pc.fill_null(pc.binary_join_element_wise(" menurut ", pc.utf8_upper(source), ""), "")
    where = pc.if_else(pc.equal(regency, ""), "umumnya di kabupaten/kota ini",
                       pc.binary_join_element_wise("umumnya di ", regency, ""))
    direction = pa.array(np.where(effect_percent > 0, "menaikkan", "menurunkan"))
    return pc.binary_join_element_wise(
        description, ": ", family_value, according, " (", where, ": ", typical_value, "). Ini ", direction,
        " perkiraan pengeluaran per orang sekitar ", _percent_words(effect_percent), "%.", "")


def sentence(variable: str, family_value: str, typical_value: str, regency: str, effect_percent: float,
             source: str | None) -> str:
    """One factor's sentence (`sentences` for one row)."""
    description = FACT_DESCRIPTION.get(variable) or DESCRIPTION[variable]
    return sentences(pa.array([_capitalized(description)]), pa.array([family_value]), pa.array([typical_value]),
                     pa.array([regency]), np.array([effect_percent]), pa.array([source], type=pa.string()))[0].as_py()


def explanation_table(frame: pd.DataFrame, contribution: np.ndarray, total: np.ndarray, typical: pd.DataFrame,
                      settings: ExplanationSettings, model_version: str, regency_name: Mapping[str, str],
                      labels: ValueLabels | None = None) -> pa.Table:
    """The explanation rows of a batch of families (columns EXPLANATION_COLUMNS) as an Arrow table;
    `regency_name`: kode_kab -> name, from staging.wilayah."""
    labels = labels or value_labels()
    tiers = (frame["data_model"].fillna(FULL_TIER).to_numpy(object) if "data_model" in frame.columns
             else np.full(len(frame), FULL_TIER, dtype=object))
    # which variables each row's tier has: looked up per distinct tier, not compared row by row per variable
    tier_code, tier_names = pd.factorize(pd.Series(tiers, dtype=object))
    in_tier = np.array([[t in TIERS and v in TIERS[t] for v in MODEL_VARIABLES] for t in tier_names],
                       dtype=bool).reshape(len(tier_names), len(MODEL_VARIABLES))[tier_code]
    known_variable = np.column_stack([frame[v].notna().to_numpy() for v in MODEL_VARIABLES]) & in_tier
    unknown_count = (~known_variable).sum(axis=1)
    # one column per unit (a fact or a single variable): contributions add up, known when any member is
    position = {v: j for j, v in enumerate(MODEL_VARIABLES)}
    member_index = [[position[v] for v in members] for _, members in UNITS]
    # (a member the registries did not record adds nothing: it is never a reason, not even within a fact)
    contribution = np.column_stack([(contribution[:, idx] * known_variable[:, idx]).sum(axis=1) for idx in member_index])
    known = np.column_stack([known_variable[:, idx].any(axis=1) for idx in member_index])
    pairs = top_factors(contribution, known, settings.factors_per_direction, settings.min_effect_percent)
    rows = np.concatenate([p[0] for p in pairs])
    cols = np.concatenate([p[1] for p in pairs])
    if rows.size == 0:
        return pa.table({c: pa.array([], type=t) for c, t in EXPLANATION_SCHEMA.items()})
    effect = 100.0 * np.expm1(contribution[rows, cols])
    # rank within a family by absolute effect
    order = np.lexsort((-np.abs(effect), rows))
    rows, cols, effect = rows[order], cols[order], effect[order]
    starts = np.r_[0, np.flatnonzero(np.diff(rows)) + 1]
    rank = np.arange(rows.size) - np.repeat(starts, np.diff(np.r_[starts, rows.size])) + 1

    size = rows.size
    words = _Words()
    family_text = np.empty(size, dtype=np.int64)
    typical_text = np.empty(size, dtype=np.int64)
    source_text = np.full(size, -1, dtype=np.int64)
    # words are made once per distinct value (or combination of a fact's values), not once per row
    for c in np.unique(cols):
        _, members = UNITS[c]
        at = np.flatnonzero(cols == c)
        picked = rows[at]
        family_text[at] = _describe(members, [frame[v].to_numpy(object)[picked] for v in members], labels, words)
        typical_text[at] = _describe(members, [typical[v].to_numpy(object)[picked] for v in members], labels, words)
        source_columns = [f"{v}_source" for v in members if f"{v}_source" in frame.columns]
        if source_columns:
            code, combinations = _factorized([frame[s].to_numpy(object)[picked] for s in source_columns])
            first = [next((v for v in values if isinstance(v, str) and v), None) for values in combinations]
            found = np.array([w is not None for w in first])
            source_text[at] = np.where(found[code], words.index([w or "" for w in first])[code], -1)
    regency_code, regency_codes = pd.factorize(pd.Series(frame["kode_kab"].to_numpy(object)[rows], dtype=object))
    regency_words = [regency_name.get(str(code), "") for code in regency_codes] + [""]
    regency = pa.array(regency_words, type=pa.string()).take(pa.array(regency_code % len(regency_words)))
    unit_names = [name for name, _ in UNITS]
    descriptions = pa.array([_capitalized(FACT_DESCRIPTION.get(n) or DESCRIPTION[n]) for n in unit_names])
    family_words, typical_words, source_words = (words.column(family_text), words.column(typical_text),
                                                 words.column(source_text))
    return pa.table({
        "family_id": pa.array(frame["unit_id"].to_numpy(object)[rows], type=pa.string()),
        "peringkat": pa.array(rank.astype(np.int32)),
        "variabel": pa.array(unit_names, type=pa.string()).take(pa.array(cols)),
        "nilai_keluarga": family_words,
        "nilai_umum_kabupaten": typical_words,
        "sumber": source_words,
        "dampak_persen": pa.array(np.round(effect, 1)),
        "arah": pa.array(np.where(effect > 0, "menaikkan", "menurunkan"), type=pa.string()),
        "penjelasan": sentences(descriptions.take(pa.array(cols)), family_words, typical_words, regency, effect,
                                source_words),
        "selisih_dari_keluarga_umum_persen": pa.array(np.round(100.0 * np.expm1(total[rows]), 1)),
        "variabel_tidak_terdata": pa.array(unknown_count[rows].astype(np.int32)),
        "data_model": pa.array(tiers[rows], type=pa.string()),
        "model_version": pa.array(np.full(size, model_version, dtype=object), type=pa.string()),
    }, schema=pa.schema(EXPLANATION_SCHEMA.items()))


def explanation_rows(frame: pd.DataFrame, contribution: np.ndarray, total: np.ndarray, typical: pd.DataFrame,
                     settings: ExplanationSettings, model_version: str, regency_name: Mapping[str, str],
                     labels: ValueLabels | None = None) -> pd.DataFrame:
    """`explanation_table` as a pandas frame (small batches, tests)."""
    return explanation_table(frame, contribution, total, typical, settings, model_version, regency_name,
                             labels).to_pandas()
