"""Semesters: `YYYY-S1` is January-June, `YYYY-S2` July-December."""

from __future__ import annotations

import re
from datetime import date, datetime

SEMESTER_PATTERN = re.compile(r"^(\d{4})-S([12])$")
FIRST_YEAR, LAST_YEAR = 2025, 2035


def semester_keys(first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> list[str]:
    """`2025-S1`, `2025-S2`, ... `2035-S2`: the partitions of dtsen_finalize."""
    return [f"{year}-S{half}" for year in range(first_year, last_year + 1) for half in (1, 2)]


def parse_semester(semester: str) -> tuple[int, int]:
    match = SEMESTER_PATTERN.match(semester or "")
    if not match:
        raise ValueError(f"semester {semester!r} is not of the form YYYY-S1 or YYYY-S2")
    return int(match.group(1)), int(match.group(2))


def semester_of(day: date | datetime) -> str:
    """The semester a day falls in."""
    return f"{day.year}-S{1 if day.month <= 6 else 2}"


def semester_before(semester: str) -> str:
    """The calendar semester before `semester` (2027-S1 -> 2026-S2)."""
    year, half = parse_semester(semester)
    return f"{year}-S1" if half == 2 else f"{year - 1}-S2"


def semester_just_ended(moment: date | datetime) -> str:
    """The semester that ended before `moment`: what a tick of the six-monthly schedule finalizes.

    A tick on 1 January 2027 (Asia/Jakarta) finalizes 2026-S2; one on 1 July 2027 finalizes 2027-S1.
    """
    return semester_before(semester_of(moment))
