"""Masking of personal data before it reaches logs, Dagster metadata or error messages.

Dagster's event log is readable by every UI user, so a NIK, name, birth date or address is
never shown in the clear: identifiers keep their region prefix and last digits (enough to
find the record again with database access), free text keeps its first letter.
"""

from __future__ import annotations

import re

import pandas as pd

from dtsen_assets.contract import PII_COLUMNS

_ALNUM = re.compile(r"\w")


def mask_identifier(value: object) -> str | None:
    """`3204101508800001` -> `3204********0001`: prefix and serial stay, the rest is hidden."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value)
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_text(value: object) -> str | None:
    """`SITI AMINAH` -> `S*** A*****`, `JL. MAWAR 3` -> `J** M**** *`, `1980-08-15` -> `****-**-**`.

    Each word keeps its first letter (never a digit); punctuation stays so the shape is readable.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return " ".join(_mask_word(word) for word in str(value).split(" "))


def _mask_word(word: str) -> str:
    keep_first = bool(word) and word[0].isalpha()
    masked = _ALNUM.sub("*", word[1:] if keep_first else word)
    return (word[0] if keep_first else "") + masked


def mask_value(column: str, value: object) -> object:
    """Mask one value according to what its column holds."""
    if column not in PII_COLUMNS and column.upper() not in PII_COLUMNS:
        return value
    upper = column.upper()
    if upper.startswith(("NIK", "NO_KK")):
        return mask_identifier(value)
    return mask_text(value)


# Columns holding a DTSEN id: a frame with one of them shows NIK and NO_KK fully hidden, so that an
# id is never paired with the visible digits of a NIK (ids are keyed hashes, see unify/ids.py, but
# a preview should not invite the attempt).
ID_COLUMNS = frozenset({"person_id", "family_id"})
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def markdown_cell(value: object) -> object:
    """Text safe in a Markdown table cell: `****-**-**` would be read as emphasis and `|` as a new
    cell, so Markdown's special characters are escaped (the UI then shows exactly the masked value)."""
    if not isinstance(value, str):
        return value
    return _MARKDOWN_SPECIAL.sub(r"\\\1", value).replace("\n", " ")


def markdown_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a small frame whose text cells are safe in a Markdown table (see markdown_cell)."""
    return frame.map(markdown_cell)


def mask_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a small frame (a preview or examples) with every personal column masked.

    Beside a person_id or family_id, NIK and NO_KK columns are hidden whole (`****************`).
    """
    masked = frame.copy()
    beside_id = bool(ID_COLUMNS & {str(c).lower() for c in masked.columns})
    for column in masked.columns:
        if column in PII_COLUMNS or str(column).upper() in PII_COLUMNS:
            if beside_id and str(column).upper().startswith(("NIK", "NO_KK")):
                masked[column] = [None if v is None or (isinstance(v, float) and pd.isna(v)) else "*" * len(str(v))
                                  for v in masked[column]]
            else:
                masked[column] = [mask_value(str(column), v) for v in masked[column]]
    return masked
