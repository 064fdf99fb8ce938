"""Population-weighted national desil, their cut points, and the kabupaten/kota x desil table.

How cut points are chosen (`sql/welfare/decile.sql`): families are sorted by predicted per-capita
consumption (`pengeluaran_kapita_pmt`) and weighted by their active members (`jumlah_art`), so each
desil holds a tenth of *people*, not of families. A family cannot be split across two desil: it
goes to the desil holding the middle of its members (its mid-rank persentil), and families with
exactly the same prediction share one persentil and one desil. Each desil therefore misses 10% of
persons by at most half of the largest family (or group of tied families) at each of its two
cuts: with millions of persons that is far below the 0.5 pp the decile check allows; on a tiny
table a single large family can exceed it, and the check says so.
The cut point of desil d is the highest prediction inside it (`desil_batas`).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dtsen_assets.platform.sql import count_rows, render
from dtsen_assets.staging.reference import WILAYAH_TABLE
from dtsen_assets.welfare.regions import RegionsMissing
from dtsen_assets.warehouse import table_exists


def stage_decile(connection: duckdb.DuckDBPyConnection, scores: str, families: str, out_table: str) -> int:
    """Stage `out_table` (family_id, desil, persentil) from the scores and family sizes."""
    sql = render("welfare/decile", scores=scores, families=families)
    connection.execute(f"CREATE OR REPLACE TABLE {out_table} AS {sql}")
    return count_rows(connection, out_table)


def stage_cut_points(connection: duckdb.DuckDBPyConnection, decile: str, scores: str, families: str,
                     out_table: str) -> pd.DataFrame:
    sql = render("welfare/desil_batas", decile=decile, scores=scores, families=families)
    connection.execute(f"CREATE OR REPLACE TABLE {out_table} AS {sql}")
    return connection.execute(f"SELECT * FROM {out_table} ORDER BY desil").df()


def stage_desil_kabupaten(connection: duckdb.DuckDBPyConnection, decile: str, families: str, out_table: str,
                          wilayah: str = WILAYAH_TABLE) -> int:
    """Stage `out_table`: persons and families per desil in each kabupaten/kota, named from `wilayah`."""
    if not table_exists(connection, wilayah):
        raise RegionsMissing(f"{wilayah} does not exist: materialize the staging/wilayah asset first "
                             "(welfare.desil_kabupaten names the regencies from it)")
    sql = render("welfare/desil_kabupaten", decile=decile, families=families, wilayah=wilayah)
    connection.execute(f"CREATE OR REPLACE TABLE {out_table} AS {sql}")
    return count_rows(connection, out_table)
