"""Reading a generated drop back, every value as the text it was written as."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import pandas as pd

from dtsen_assets.contract import SOURCE_FILES_BY_KEY
from dtsen_assets.synth.reference import load_reference

# Registry person files: (file key, source, NIK column, name column, birth date column, day first)
PERSON_FILES = (
    ("dtks_art", "dtks", "NIK", "NAMA", "TGL_LAHIR", True),
    ("p3ke_individu", "p3ke", "NIK", "NAMA", "TANGGAL_LAHIR", False),
    ("regsosek_individu", "regsosek", "NIK", "NAMA", "TGL_LAHIR", False),
)
# Questions asked only after a gate question: blank when the gate says they do not apply.
SKIPS = {
    "JENIS_KLOSET": ("FASILITAS_BAB", {"6"}), "PEMBUANGAN_TINJA": ("FASILITAS_BAB", {"6"}),
    "LAPANGAN_USAHA": ("STATUS_BEKERJA", {"2"}), "KEDUDUKAN_KERJA": ("STATUS_BEKERJA", {"2"}),
    "KRT_LAPANGAN_USAHA": ("KRT_STATUS_BEKERJA", {"2"}), "KRT_KEDUDUKAN_KERJA": ("KRT_STATUS_BEKERJA", {"2"}),
}


def read_csv(path: Path, delimiter: str = ",") -> pd.DataFrame:
    return pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False, na_values=[], quotechar='"')


class Drop:
    def __init__(self, root: Path):
        self.root = Path(root)

    def file(self, key: str) -> pd.DataFrame:
        return self._files[key] if key in self._files else self._load(key)

    @cached_property
    def _files(self) -> dict:
        return {}

    def _load(self, key: str) -> pd.DataFrame:
        source_file = SOURCE_FILES_BY_KEY[key]
        if source_file.many_files:
            paths = sorted(self.root.glob(source_file.path))
            frame = pd.concat([read_csv(p, source_file.delimiter).assign(_file=f"verivali/{p.name}",
                                                                         _row=lambda d: range(1, len(d) + 1))
                               for p in paths], ignore_index=True) if paths else pd.DataFrame()
        else:
            frame = read_csv(self.root / source_file.path, source_file.delimiter)
        self._files[key] = frame
        return frame

    def truth(self, name: str) -> pd.DataFrame:
        return read_csv(self.root / "truth" / f"{name}.csv")

    @cached_property
    def problems(self) -> pd.DataFrame:
        frame = self.truth("problems")
        for column in ("injected_count", "eligible_count"):
            frame[column] = frame[column].astype(int)
        frame["documented_rate"] = pd.to_numeric(frame["documented_rate"])
        return frame

    @cached_property
    def summary(self) -> dict:
        return json.loads((self.root / "truth" / "summary.json").read_text())

    def injected(self, problem: str, file: str | None = None, column: str | None = None) -> int:
        rows = self._problem_rows(problem, file, column)
        return int(rows["injected_count"].sum())

    def eligible(self, problem: str, file: str | None = None, column: str | None = None) -> int:
        rows = self._problem_rows(problem, file, column)
        return int(rows["eligible_count"].sum())

    def _problem_rows(self, problem, file, column) -> pd.DataFrame:
        rows = self.problems[self.problems["problem"] == problem]
        if file is not None:
            rows = rows[rows["file"] == file]
        if column is not None:
            rows = rows[rows["column"] == column]
        return rows

    @cached_property
    def person_records(self) -> pd.DataFrame:
        """Every registry person record with its truth: source, record id, nik/nama/date cells, person."""
        parts = []
        for key, source, nik, nama, tgl, day_first in PERSON_FILES:
            frame = self.file(key)
            record_id = (frame["ID_KELUARGA"] + "-" + frame["NO_ART"]) if source == "regsosek" else \
                frame["ID_ART" if source == "dtks" else "ID_INDIVIDU"]
            parts.append(pd.DataFrame({"source": source, "file": SOURCE_FILES_BY_KEY[key].path,
                                       "source_record_id": record_id.to_numpy(), "nik_cell": frame[nik].to_numpy(),
                                       "nama_cell": frame[nama].to_numpy(), "tgl_cell": frame[tgl].to_numpy(),
                                       "day_first": day_first}))
        records = pd.concat(parts, ignore_index=True)
        truth = self.truth("source_records").merge(self.truth("persons"), on="person_key", how="left")
        return records.merge(truth, on=["source", "source_record_id"], how="left", validate="one_to_one")


def codebook() -> pd.DataFrame:
    return load_reference().codebook


def valid_codes(source: str, column: str) -> set[str]:
    book = codebook()
    key = "ASET_*" if column.startswith("ASET_") else column
    return set(book.loc[(book["source"] == source) & (book["variable"] == key), "code"])


def coded_columns(key: str) -> list[str]:
    source_file = SOURCE_FILES_BY_KEY[key]
    book = codebook()
    variables = set(book.loc[book["source"] == source_file.source, "variable"])
    return [c for c in source_file.columns if ("ASET_*" if c.startswith("ASET_") else c) in variables]


def normalize_label(text: str) -> str:
    return " ".join(text.split()).casefold()
