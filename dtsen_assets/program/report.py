"""The Dinas Sosial report: one self-contained HTML page, and CSV and XLSX files per kabupaten/kota.

Sections (each an HTML `<section id=...>`, the same names as the per-regency files):
  ringkasan   the release: when, which run, persons and families
  desil       persons and families per desil (the table regencies publish), and a plot per province
  kandidat    program candidates per program and status
  penerima    today's DTKS recipients against the rules: who stays, who would leave and why, who is missing
  tugas       open village tasks (verivali decisions, Cek Bansos) per kabupaten/kota
  padan       share of active persons matched to Dukcapil (padan)
  kualitas    data quality: records rejected, families without a desil, records with problems
  perpindahan flows between desil since the last finalized semester (final.decile), or a note that none exists

Plots are matplotlib figures embedded as base64 PNG, so the page opens without a network. No personal
data reaches the report: it holds counts only.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import xlsxwriter  # noqa: E402

from dtsen_assets.program.build import (  # noqa: E402
    KANDIDAT_TABLE, PENERIMA_BANDING_TABLE, TUGAS_TABLE, USULAN_TABLE, UpstreamTables, recipient_summary,
)
from dtsen_assets.platform.sql import query_df  # noqa: E402
from dtsen_assets.warehouse import table_exists  # noqa: E402
from dtsen_assets.staging.reference import WILAYAH_TABLE  # noqa: E402
from dtsen_assets.welfare.regions import Regions, load_regions  # noqa: E402

SECTIONS: dict[str, str] = {
    "ringkasan": "Ringkasan rilis",
    "desil": "Penduduk dan keluarga per desil",
    "kandidat": "Kandidat program",
    "penerima": "Penerima saat ini dibandingkan aturan",
    "tugas": "Tugas verifikasi desa yang masih terbuka",
    "padan": "Tingkat padan Dukcapil",
    "kualitas": "Kualitas data",
    "perpindahan": "Perpindahan desil sejak semester lalu",
}
HTML_NAME = "laporan_dinsos.html"
# per kabupaten/kota on the page (the CSV and XLSX files keep every column)
PENERIMA_RINGKAS = ["program", "kode_kab", "penerima", "tetap_layak", "tetap_perlu_asesmen", "keluar_desil_tinggi",
                    "keluar_meninggal", "keluar_pindah", "keluar_mampu", "layak_belum_menerima", "inclusion_error_pct",
                    "exclusion_error_pct"]


@dataclass(frozen=True)
class ReportTables(UpstreamTables):
    """What the report reads (named by the caller, like the program SQL): the program's upstream and its tables."""

    kandidat: str = KANDIDAT_TABLE
    penerima_banding: str = PENERIMA_BANDING_TABLE
    tugas: str = TUGAS_TABLE
    usulan: str = USULAN_TABLE
    belum_terdata: str = "welfare.belum_terdata"
    final_decile: str = "final.decile"
    final_person: str = "final.person"
    wilayah: str = WILAYAH_TABLE          # region names (the staging/wilayah asset)


@dataclass
class ReportFiles:
    html: Path
    directory: Path
    regency_files: list[Path] = field(default_factory=list)
    sections: tuple[str, ...] = tuple(SECTIONS)


def _query(connection: duckdb.DuckDBPyConnection, name: str, **tables: str) -> pd.DataFrame:
    return query_df(connection, f"program/{name}", **tables)


def gather(connection: duckdb.DuckDBPyConnection, tables: ReportTables = ReportTables()) -> dict[str, pd.DataFrame]:
    """Every figure of the report, per kabupaten/kota (kode_kab) where it has one."""
    t = tables.__dict__
    frames = {
        "desil": _query(connection, "laporan_desil", **t),
        "kandidat": _query(connection, "laporan_kandidat", **t),
        "penerima": recipient_summary(connection, tables.penerima_banding, by_kabupaten=True),
        "penerima_nasional": recipient_summary(connection, tables.penerima_banding),
        "tugas": _query(connection, "laporan_tugas", **t),
        "padan": _query(connection, "laporan_padan", **t),
        "kualitas": _query(connection, "laporan_kualitas", **t),
    }
    frames["perpindahan"], frames["semester_lalu"] = _flows(connection, tables)
    return frames


def _flows(connection: duckdb.DuckDBPyConnection, tables: ReportTables) -> tuple[pd.DataFrame, str | None]:
    if not (table_exists(connection, tables.final_decile) and table_exists(connection, tables.final_person)):
        return pd.DataFrame(), None
    semester = connection.execute(f"SELECT max(semester) FROM {tables.final_decile}").fetchone()[0]
    if semester is None:
        return pd.DataFrame(), None
    flows = query_df(connection, "program/laporan_perpindahan", **tables.__dict__,
                     semester=semester.replace("'", "''"))
    return flows, str(semester)


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plot_desil_per_province(desil: pd.DataFrame, names: dict[str, str]) -> str:
    """Share of active persons in each desil, one horizontal stacked bar per province (`names`: code -> name)."""
    frame = desil.assign(provinsi=desil["kode_kab"].str[:2]).groupby(["provinsi", "desil"])["orang"].sum().unstack(fill_value=0)
    frame = frame.div(frame.sum(axis=1), axis=0) * 100
    frame.index = [f"{code} {names.get(code, '')}".strip() for code in frame.index]
    figure, axis = plt.subplots(figsize=(9, max(2.5, 0.38 * len(frame) + 1.2)))
    frame.plot(kind="barh", stacked=True, ax=axis, colormap="RdYlGn", width=0.8)
    axis.set_xlabel("% penduduk aktif")
    axis.set_ylabel("")
    axis.set_xlim(0, 100)
    axis.invert_yaxis()
    axis.legend(title="desil", ncol=10, loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8)
    axis.set_title("Sebaran desil per provinsi")
    return _png(figure)


def plot_flows(flows: pd.DataFrame, semester: str) -> str:
    matrix = flows.pivot_table(index="desil_lama", columns="desil_baru", values="orang", aggfunc="sum", fill_value=0)
    figure, axis = plt.subplots(figsize=(6.5, 5.5))
    image = axis.imshow(matrix.to_numpy(), cmap="Blues")
    axis.set_xticks(range(len(matrix.columns)), [str(c) for c in matrix.columns])
    axis.set_yticks(range(len(matrix.index)), [str(i) for i in matrix.index])
    axis.set_xlabel("desil kini")
    axis.set_ylabel(f"desil {semester}")
    for (row, column), value in pd.DataFrame(matrix.to_numpy()).stack().items():
        axis.text(column, row, f"{value:,}", ha="center", va="center", fontsize=7)
    figure.colorbar(image, ax=axis, label="orang")
    axis.set_title(f"Perpindahan desil sejak {semester}")
    return _png(figure)


def _table(frame: pd.DataFrame, regency_names: dict[str, str], empty: str = "tidak ada") -> str:
    if frame.empty:
        return f"<p class='kosong'>{html.escape(empty)}</p>"
    frame = _named(frame, regency_names)
    table = frame.to_html(index=False, border=0, classes="tabel", na_rep="-", float_format=lambda v: f"{v:,.1f}")
    return f"<div class='gulir'>{table}</div>"


def _named(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The regency's name beside its code."""
    if "kode_kab" not in frame.columns or "kabupaten/kota" in frame.columns:
        return frame
    named = frame.copy()
    named.insert(list(named.columns).index("kode_kab") + 1, "kabupaten/kota",
                 [names.get(str(k), "") for k in named["kode_kab"]])
    return named


def _wide(frame: pd.DataFrame, columns: list[str], value: str) -> pd.DataFrame:
    """kode_kab down, `columns` across (joined by a space), `value` in the cells."""
    if frame.empty:
        return frame
    wide = frame.assign(_kolom=frame[columns].astype(str).agg(" ".join, axis=1)).pivot_table(
        index="kode_kab", columns="_kolom", values=value, aggfunc="sum", fill_value=0)
    wide.columns.name = None
    return wide.reset_index()


def _wide_desil(desil: pd.DataFrame, value: str, names: dict[str, str]) -> pd.DataFrame:
    wide = desil.pivot_table(index="kode_kab", columns="desil", values=value, aggfunc="sum", fill_value=0)
    wide.columns = [f"desil {c}" for c in wide.columns]
    wide.insert(0, "kabupaten/kota", [names.get(k, "") for k in wide.index])
    wide["jumlah"] = wide.drop(columns="kabupaten/kota").sum(axis=1)
    return wide.reset_index()


def render_html(frames: dict[str, pd.DataFrame], release: dict[str, object], regions: Regions) -> str:
    """The page; `regions` (from staging.wilayah) names the provinces and kabupaten/kota."""

    def table(frame: pd.DataFrame, empty: str = "tidak ada") -> str:
        return _table(frame, regions.regency_name, empty)

    names = regions.regency_name
    desil = frames["desil"]
    national = desil.groupby("desil")[["orang", "keluarga"]].sum().reset_index()
    national_line = ", ".join(f"desil {int(r.desil)}: {int(r.orang):,} orang" for r in national.itertuples())
    body = {
        "ringkasan": "<dl>" + "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>"
                                      for k, v in release.items()) + "</dl>",
        "desil": (f"<p>{html.escape(national_line) or 'belum ada desil'}</p>" + table(national)
                  + "<h3>Orang per desil per kabupaten/kota</h3>" + table(_wide_desil(desil, "orang", names) if not desil.empty else desil)
                  + "<h3>Keluarga per desil per kabupaten/kota</h3>" + table(_wide_desil(desil, "keluarga", names) if not desil.empty else desil)
                  + (f"<img alt='Sebaran desil per provinsi' src='data:image/png;base64,{plot_desil_per_province(desil, regions.province_name)}'>"
                     if not desil.empty else "")),
        "kandidat": table(frames["kandidat"].groupby(["program", "status"])[["keluarga", "orang"]].sum().reset_index()
                           if not frames["kandidat"].empty else frames["kandidat"])
                    + "<h3>Keluarga kandidat per kabupaten/kota (program, status)</h3>"
                    + table(_wide(frames["kandidat"], ["program", "status"], "keluarga")),
        "penerima": ("<p>Penerima DTKS hari ini (PKH, BPNT, PBI_JK) menurut aturan program: yang tetap, yang akan keluar "
                     "dan alasannya, dan keluarga layak yang belum menerima. Inclusion error: penerima yang akan keluar / "
                     "semua penerima. Exclusion error: keluarga layak yang belum menerima / semua keluarga layak.</p>"
                     + table(frames["penerima_nasional"])
                     + "<h3>Per kabupaten/kota</h3>"
                     + table(frames["penerima"][[c for c in PENERIMA_RINGKAS if c in frames["penerima"].columns]])),
        "tugas": ("<p>Keputusan musdes dan klaim Cek Bansos yang menunggu cek lapangan atau registrasi, per jenis.</p>"
                  + table(_wide(frames["tugas"], ["jenis"], "tugas"), "tidak ada tugas terbuka")),
        "padan": table(frames["padan"]),
        "kualitas": table(frames["kualitas"]),
        "perpindahan": (
            f"<img alt='Perpindahan desil' src='data:image/png;base64,{plot_flows(frames['perpindahan'], frames['semester_lalu'])}'>"
            + table(frames["perpindahan"]) if frames["semester_lalu"] and not frames["perpindahan"].empty
            else "<p class='kosong'>Belum ada semester yang ditetapkan (final.decile): tidak ada perpindahan desil "
                 "untuk ditampilkan.</p>"),
    }
    sections = "\n".join(
        f"<section id='{key}'><h2>{html.escape(title)}</h2>{body[key]}</section>" for key, title in SECTIONS.items())
    nav = " · ".join(f"<a href='#{k}'>{html.escape(v)}</a>" for k, v in SECTIONS.items())
    return f"""<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>Laporan DTSEN untuk Dinas Sosial</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em auto; max-width: 72em; color: #222; }}
h1 {{ font-size: 1.5em; }} h2 {{ border-bottom: 2px solid #2c6e49; padding-bottom: .2em; margin-top: 1.6em; }}
table.tabel {{ border-collapse: collapse; font-size: .85em; margin: .5em 0; }}
table.tabel th, table.tabel td {{ padding: .2em .6em; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }}
table.tabel th {{ background: #eef5f0; }}
dl {{ display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }} dt {{ font-weight: bold; }}
img {{ max-width: 100%; }} .gulir {{ overflow-x: auto; max-width: 100%; }} .kosong {{ color: #777; font-style: italic; }} nav {{ font-size: .85em; }}
</style></head><body>
<h1>Laporan DTSEN untuk Dinas Sosial</h1>
<nav>{nav}</nav>
{sections}
</body></html>
"""


@dataclass(frozen=True)
class _Section:
    """A report section as Python values (a missing one None), and which rows belong to each kode_kab."""

    columns: list[str]
    rows: list[list[object]]
    by_regency: dict[str, list[int]]

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Section:
        values = [_python_values(frame[c]) for c in frame.columns]
        groups = frame.groupby("kode_kab", sort=False).indices
        return cls([str(c) for c in frame.columns], [list(row) for row in zip(*values)],
                   {str(k): positions.tolist() for k, positions in groups.items()})

    def rows_of(self, kode_kab: str) -> list[list[object]]:
        return [self.rows[i] for i in self.by_regency.get(kode_kab, [])]


def _python_values(column: pd.Series) -> list[object]:
    """A column as Python values (date-times as Timestamps), None where missing."""
    return column.astype(object).where(column.notna(), None).tolist()


def write_csv(path: Path, columns: list[str], rows: list[list[object]]) -> None:
    """A CSV as pandas' to_csv writes the same rows: header, `\n` line ends, a missing value empty, and a
    date-time column whose written times are all midnight as dates (2025-09-15, not 2025-09-15 00:00:00)."""
    for j in range(len(columns)):
        stamps = [row[j] for row in rows if isinstance(row[j], dt.datetime)]
        if stamps and all(s == s.replace(hour=0, minute=0, second=0, microsecond=0) for s in stamps):
            rows = [[v.date() if k == j and isinstance(v, dt.datetime) else v for k, v in enumerate(row)]
                    for row in rows]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)


def write_workbook(path: Path, sheets: dict[str, tuple[list[str], list[list[object]]]]) -> None:
    """One XLSX with a sheet per (columns, rows): a bold header row, then the rows (dates as yyyy-mm-dd
    hh:mm:ss, a missing value an empty cell). Written by xlsxwriter directly and in memory: pandas' cell
    formatting and xlsxwriter's temporary files cost more than the figures (480 regencies: 12 s of 20)."""
    workbook = xlsxwriter.Workbook(path, {"in_memory": True, "default_date_format": "yyyy-mm-dd hh:mm:ss"})
    try:
        bold = workbook.add_format({"bold": True})
        for name, (columns, rows) in sheets.items():
            sheet = workbook.add_worksheet(name[:31])
            sheet.write_row(0, 0, columns, bold)
            for i, row in enumerate(rows, start=1):
                sheet.write_row(i, 0, row)
    finally:
        workbook.close()


def write_report(connection: duckdb.DuckDBPyConnection, directory: Path, release: dict[str, object],
                 tables: ReportTables = ReportTables()) -> ReportFiles:
    """Write the HTML page and, per kabupaten/kota, one CSV per section and one XLSX with a sheet each."""
    directory.mkdir(parents=True, exist_ok=True)
    frames = gather(connection, tables)
    page = directory / HTML_NAME
    page.write_text(render_html(frames, release, load_regions(connection, tables.wilayah)), encoding="utf-8")
    files = ReportFiles(html=page, directory=directory)
    # every section converted and split by regency once, not once per regency (480 regencies at 1M persons)
    sections = {name: _Section.of(frame) for name, frame in frames.items()
                if isinstance(frame, pd.DataFrame) and "kode_kab" in frame.columns}
    regencies = sorted(set().union(*(set(section.by_regency) for section in sections.values())))
    for kode_kab in regencies:
        folder = directory / "kabupaten" / kode_kab
        folder.mkdir(parents=True, exist_ok=True)
        sheets = {name: (section.columns, section.rows_of(kode_kab)) for name, section in sections.items()}
        for name, (columns, rows) in sheets.items():
            path = folder / f"{kode_kab}_{name}.csv"
            write_csv(path, columns, rows)
            files.regency_files.append(path)
        workbook = folder / f"laporan_{kode_kab}.xlsx"
        write_workbook(workbook, sheets)
        files.regency_files.append(workbook)
    return files


def release_facts(connection: duckdb.DuckDBPyConnection, run_id: str, tables: ReportTables = ReportTables()) -> dict[str, object]:
    persons, families = connection.execute(
        f"SELECT (SELECT count(*) FROM {tables.person} WHERE is_active), (SELECT count(*) FROM {tables.family})"
    ).fetchone()
    return {
        "dibuat": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "run Dagster": run_id,
        "penduduk aktif": f"{persons:,}",
        "keluarga": f"{families:,}",
    }
