"""Population-weighted targeting accuracy: who would be selected, who should have been.

Every measure counts *people*: a unit's weight is the number of persons it stands for (survey:
`bobot * jumlah_art`; a DTSEN family: its active members `jumlah_art`).

Ranking rule (the same as for the published desil, see `deciles.py`): units are sorted by
per-capita consumption; a unit's persentil is the share of persons ranked strictly below it plus
half of its own persons (units with exactly equal values share one persentil). A unit is within a
quota q (e.g. 40% = desil 1-4) when its persentil is at most 100 q.

- exclusion error at q: share of the truly poorest q of persons (by measured/true consumption)
  whom the model does not select;
- inclusion error at q: share of the persons the model selects who are not among the truly poorest q.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr

QUOTAS: dict[str, float] = {"desil_1_4": 0.40, "desil_1": 0.10}


def midrank_persentil(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Persentil in (0, 100] of each unit, persons-weighted, ties sharing the mid-rank of their group."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    if values.size == 0:
        return values.copy()
    unique, inverse = np.unique(values, return_inverse=True)
    group_weight = np.bincount(inverse, weights=weights, minlength=unique.size)
    before = np.cumsum(group_weight) - group_weight
    total = group_weight.sum()
    return 100.0 * (before + group_weight / 2.0)[inverse] / total


def desil_of(persentil: np.ndarray) -> np.ndarray:
    """Desil 1..10: desil d holds persentil in (10(d-1), 10d]."""
    return np.clip(np.ceil(np.asarray(persentil) / 10.0), 1, 10).astype(int)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(np.asarray(weights, dtype=float)[order])
    position = np.searchsorted(cumulative, q * cumulative[-1])
    return float(np.asarray(values)[order][min(position, values.size - 1)])


def targeting_errors(actual: np.ndarray, predicted: np.ndarray, weights: np.ndarray, quota: float,
                     groups: np.ndarray | None = None) -> dict:
    """Exclusion and inclusion error at a national quota, overall and (with `groups`) per group.

    Sets are national (the quota is applied to all units together); a group's errors count the
    group's persons only. Shares are in [0, 1]; NaN where a group has no poor / no selected persons.
    """
    weights = np.asarray(weights, dtype=float)
    poor = midrank_persentil(actual, weights) <= 100.0 * quota
    selected = midrank_persentil(predicted, weights) <= 100.0 * quota

    def errors(poor_persons: float, selected_persons: float, excluded: float, included: float, persons: float,
               units: int) -> dict:
        return {
            "exclusion_error": float(excluded / poor_persons) if poor_persons else float("nan"),
            "inclusion_error": float(included / selected_persons) if selected_persons else float("nan"),
            "poor_persons": poor_persons,
            "selected_persons": selected_persons,
            "persons": persons,
            "units": units,
        }

    sums = (weights * poor, weights * selected, weights * (poor & ~selected), weights * (selected & ~poor), weights)
    result = errors(*(float(v.sum()) for v in sums), int(weights.size))
    if groups is not None:
        # every group's sums at once (sorted group labels, as sorted(set(groups)))
        labels, group = np.unique(np.asarray(groups, dtype=object), return_inverse=True)
        by_group = [np.bincount(group, weights=v, minlength=labels.size) for v in sums]
        units = np.bincount(group, minlength=labels.size)
        result["by_group"] = {str(label): errors(*(float(v[i]) for v in by_group), int(units[i]))
                              for i, label in enumerate(labels)}
    return result


def weighted_r2(actual: np.ndarray, predicted: np.ndarray, weights: np.ndarray) -> float:
    weights = np.asarray(weights, dtype=float)
    mean = np.average(actual, weights=weights)
    total = np.sum(weights * (actual - mean) ** 2)
    return float(1.0 - np.sum(weights * (actual - predicted) ** 2) / total) if total > 0 else float("nan")


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(spearmanr(a, b).statistic) if len(a) > 2 else float("nan")


def evaluate(log_actual: np.ndarray, log_predicted: np.ndarray, weights: np.ndarray,
             groups: np.ndarray | None = None) -> dict:
    """R² of log per-capita consumption and targeting errors at every quota of QUOTAS."""
    out = {"r2": weighted_r2(log_actual, log_predicted, weights)}
    for name, quota in QUOTAS.items():
        out[name] = targeting_errors(log_actual, log_predicted, weights, quota, groups)
    return out
