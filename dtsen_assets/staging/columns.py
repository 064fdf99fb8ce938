"""The column lists of the staging queries, written out from the vocabulary (platform/vocabulary.py).

`family_record.sql` and `susenas_household.sql` name the welfare variables through placeholders
filled here, so a variable added to the vocabulary reaches both tables in the same place.
"""

from __future__ import annotations

from collections.abc import Sequence

from dtsen_assets.platform.sql import quote_literal
from dtsen_assets.platform.vocabulary import (
    AREAS, COMPOSITION, HEAD_CODED, LIVESTOCK, WELFARE_VARIABLES, source_column,
)

_SEPARATOR = ",\n        "


def _raw(alias: str, variables: Sequence[str]) -> str:
    return _SEPARATOR.join(f"{alias}.{source_column(v)} AS {v}_raw" for v in variables)


def _parsed(variables: Sequence[str]) -> str:
    # areas in m² are decimals; everything else counted is a whole number
    return _SEPARATOR.join(f"{'parse_number' if v in AREAS else 'parse_count'}({v}_raw) AS {v}" for v in variables)


def _number_problems(variables: Sequence[str]) -> str:
    return _SEPARATOR.join(f"number_problem({v}_raw, {v}, {quote_literal(v)})" for v in variables)


def family_record_columns() -> dict[str, str]:
    """The placeholders of family_record.sql: REGSOSEK's numbers, parsed and checked; the welfare list."""
    numbers = ("jumlah_art", *AREAS, *LIVESTOCK)
    return {
        "regsosek_numbers_raw": _raw("f", numbers),
        "numbers_parsed": _parsed(numbers),
        "number_problems": _number_problems(numbers),
        "welfare_variables": ", ".join(WELFARE_VARIABLES),
    }


def susenas_household_columns() -> dict[str, str]:
    """The placeholders of susenas_household.sql: the household's numbers, its head, the welfare list."""
    numbers = (*COMPOSITION, *AREAS, *LIVESTOCK)
    head = [f"{v} AS krt_{v}" for v in HEAD_CODED]
    return {
        "susenas_numbers_raw": _raw("h", (*COMPOSITION, "krt_umur", *AREAS, *LIVESTOCK)),
        "numbers_parsed": _parsed(numbers),
        "number_problems": _number_problems((*COMPOSITION, "krt_umur", *AREAS, *LIVESTOCK)),
        "composition": ", ".join(COMPOSITION),
        "head": ", ".join([head[0], "krt_umur", *head[1:]]),
        "welfare_variables": ", ".join(WELFARE_VARIABLES),
        "head_codes": ", ".join(quote_literal(v) for v in HEAD_CODED),
    }
