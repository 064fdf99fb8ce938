"""Appending chunks of rows to a CSV file, quoting only the fields that need it.

Every value becomes text through arrow compute (None and empty both become an empty field); a
field holding the delimiter, a quote or a line break is quoted with quotes doubled. The lines
of a chunk are joined in arrow and written as one buffer, so a chunk never passes through
Python strings.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def as_text(values) -> pa.Array:
    """Text of a column: arrow array, numpy array (numbers, booleans as 1/0, objects) or list."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        array = np.asarray(values)
        if array.dtype == bool:
            array = array.astype(np.int8)
        values = pa.array(array, from_pandas=True) if array.dtype != object else pa.array(array, pa.string())
    if not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    return values


def _may_hold_text(values) -> bool:
    """Numbers and booleans never need quotes; only text can hold a delimiter."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
    return np.asarray(values).dtype == object


class CsvFormat:
    """The bytes of a CSV file's header and of chunks of its rows (also in worker processes)."""

    def __init__(self, columns: list[str], delimiter: str = ","):
        self.columns = list(columns)
        self.delimiter = delimiter
        self._special_bytes = np.frombuffer(f'{delimiter}"\n'.encode(), dtype=np.uint8)

    def header(self) -> bytes:
        return (self.delimiter.join(f'"{c}"' if self.delimiter in c else c for c in self.columns) + "\n").encode()

    def encode(self, table: dict) -> bytes:
        """The lines of `table` (every column of the file to equally long values), b"" when it has no rows."""
        missing = set(self.columns) - set(table)
        if missing:
            raise KeyError(f"no values for {sorted(missing)}")
        fields = [self._quoted(as_text(table[c])) if _may_hold_text(table[c]) else as_text(table[c])
                  for c in self.columns]
        if not len(fields[0]):
            return b""
        line = pc.binary_join_element_wise(*fields, self.delimiter, null_handling="replace",
                                           null_replacement="")
        line = pc.binary_join_element_wise(line, pa.scalar(""), "\n")
        offsets = np.frombuffer(line.buffers()[1], dtype=np.int32 if pa.types.is_string(line.type) else np.int64)
        start, end = offsets[line.offset], offsets[line.offset + len(line)]
        return memoryview(line.buffers()[2])[start:end].tobytes()

    def _quoted(self, text: pa.Array) -> pa.Array:
        data = text.buffers()[2]
        if data is None:
            return text
        # Most columns hold no special character at all: one scan of the column's bytes says so.
        raw = np.frombuffer(data, dtype=np.uint8)
        if not np.isin(raw, self._special_bytes).any():
            return text
        special = pc.match_substring_regex(text, f'[{re.escape(self.delimiter)}"\n]')
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
        return pc.if_else(special, quoted, text)


class CsvSink:
    """One CSV file written chunk by chunk, with a header of `columns` in that order."""

    def __init__(self, path: Path, columns: list[str], delimiter: str = ","):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.format = CsvFormat(columns, delimiter)
        self._file = self.path.open("wb")
        self._file.write(self.format.header())

    def write(self, table: dict) -> None:
        """Append rows: `table` maps every column of the file to equally long values."""
        try:
            self.write_lines(self.format.encode(table))
        except KeyError as error:
            raise KeyError(f"{self.path.name}: {error.args[0]}") from None

    def write_lines(self, lines: bytes) -> None:
        """Append lines already encoded by this file's `format`."""
        self._file.write(lines)

    def close(self) -> None:
        self._file.close()
