"""Scoring the published tables against a generated drop's truth/ (tests and bench/).

The pipeline never reads truth/; the benchmarks and tests do, through these functions: linkage
(records grouped by person_id against the true persons), the records of families that moved
province, and desil targeting (the published desil against true per-capita consumption).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np

from dtsen_assets.welfare.metrics import midrank_persentil


def score_against_truth(connection: duckdb.DuckDBPyConnection, drop: Path) -> dict[str, float]:
    """Pairwise precision/recall of records grouped by person_id, NIK correctness, (in)activity."""
    truth = Path(drop) / "truth"
    catalog = connection.execute("SELECT current_database()").fetchone()[0]
    c = connection.cursor()
    try:
        c.execute(f'USE "{catalog}"')
        c.execute(f"""CREATE OR REPLACE TEMP TABLE t_rec AS SELECT source, source_record_id, person_key
                      FROM read_csv('{truth / "source_records.csv"}', all_varchar = true)""")
        c.execute(f"""CREATE OR REPLACE TEMP TABLE t_person AS
                      SELECT person_key, nik, is_alive = '1' OR lower(is_alive) = 'true' AS is_alive
                      FROM read_csv('{truth / "persons.csv"}', all_varchar = true)""")
        c.execute("""CREATE OR REPLACE TEMP TABLE joined AS
                     SELECT s.source, s.source_record_id, s.person_id, t.person_key
                     FROM dtsen.person_source s JOIN t_rec t USING (source, source_record_id)""")
        without_truth = c.execute("SELECT (SELECT count(*) FROM dtsen.person_source) - count(*) FROM joined").fetchone()[0]
        tp, predicted, actual = c.execute("""
            WITH both_ AS (SELECT person_id, person_key, count(*) AS n FROM joined WHERE person_id IS NOT NULL GROUP BY ALL),
                 pred AS (SELECT count(*) AS n FROM joined WHERE person_id IS NOT NULL GROUP BY person_id),
                 act AS (SELECT count(*) AS n FROM joined GROUP BY person_key)
            SELECT coalesce((SELECT sum(n * (n - 1) / 2) FROM both_), 0),
                   coalesce((SELECT sum(n * (n - 1) / 2) FROM pred), 0),
                   coalesce((SELECT sum(n * (n - 1) / 2) FROM act), 0)""").fetchone()
        persons, nik_true = c.execute("""
            WITH majority AS (
                SELECT person_id, person_key FROM (
                    SELECT person_id, person_key, count(*) AS n FROM joined WHERE person_id IS NOT NULL GROUP BY ALL)
                QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY n DESC, person_key) = 1)
            SELECT count(*), count(*) FILTER (WHERE p.nik = tp.nik)
            FROM dtsen.person p JOIN majority m USING (person_id) JOIN t_person tp USING (person_key)""").fetchone()
        dead, dead_inactive, living, living_inactive = c.execute("""
            WITH person_state AS (
                SELECT j.person_key, bool_or(NOT coalesce(p.is_active, true)) AS inactive
                FROM joined j LEFT JOIN dtsen.person p USING (person_id) GROUP BY j.person_key)
            SELECT count(*) FILTER (WHERE NOT tp.is_alive), count(*) FILTER (WHERE NOT tp.is_alive AND s.inactive),
                   count(*) FILTER (WHERE tp.is_alive), count(*) FILTER (WHERE tp.is_alive AND s.inactive)
            FROM person_state s JOIN t_person tp USING (person_key)""").fetchone()
    finally:
        c.close()
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    return {
        "pairwise_precision": precision, "pairwise_recall": recall,
        "pairwise_f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "true_pairs": int(actual), "predicted_pairs": int(predicted),
        "persons": int(persons), "nik_true_share": nik_true / persons if persons else 0.0,
        "dead_persons": int(dead), "dead_made_inactive": dead_inactive / dead if dead else 1.0,
        "living_persons": int(living), "living_made_inactive": living_inactive / living if living else 0.0,
        "records_without_truth": int(without_truth),
    }


def movers_against_truth(connection: duckdb.DuckDBPyConnection, drop: Path) -> dict[str, int]:
    """The records a source lists in another province than their person's today (a family that moved
    province, truth/persons.csv): how many, how many of them do not carry their person's true NIK, and how
    many of those are linked to a published person with the true NIK (the cross-province residue)."""
    truth = Path(drop) / "truth"
    records, without_nik, linked = connection.execute(f"""
        WITH truth_record AS (
            SELECT source, source_record_id, person_key FROM read_csv('{truth / "source_records.csv"}', all_varchar = true)),
        truth_person AS (
            SELECT person_key, nik, kode_desa FROM read_csv('{truth / "persons.csv"}', all_varchar = true)),
        mover AS (
            SELECT r.source, r.source_record_id, r.nik IS DISTINCT FROM t.nik AS without_nik, t.nik AS nik_true
            FROM staging.person_record AS r JOIN truth_record USING (source, source_record_id)
            JOIN truth_person AS t USING (person_key)
            WHERE left(r.kode_desa, 2) <> left(t.kode_desa, 2))
        SELECT count(*), count(*) FILTER (WHERE without_nik),
               count(*) FILTER (WHERE without_nik AND p.nik = nik_true)
        FROM mover JOIN dtsen.person_source USING (source, source_record_id) JOIN dtsen.person AS p USING (person_id)
    """).fetchone()
    return {"records": int(records), "without_true_nik": int(without_nik), "linked_without_true_nik": int(linked)}


# Quotas scored: desil 1-4 (the poorest 40% of persons) and desil 1 (the poorest 10%).
DESIL_QUOTAS = {"desil_1_4": 4, "desil_1": 1}


def desil_against_truth(connection: duckdb.DuckDBPyConnection, drop: Path) -> dict:
    """Exclusion and inclusion error of the published desil against true consumption (persons-weighted).

    A family is truly poor at a quota when its true per-capita consumption ranks within the
    quota's share of persons (truth/families.csv, joined on the published family's no_kk); it is
    selected when its published desil is within the quota. Families whose card is not in the truth
    (a re-issued card) are left out and counted.
    """
    truth = Path(drop) / "truth" / "families.csv"
    frame = connection.execute(f"""
        SELECT d.desil, t.pengeluaran_kapita, t.jumlah_art
        FROM welfare.decile AS d
        JOIN dtsen.family AS f USING (family_id)
        JOIN read_csv('{truth}', header = true, types = {{'no_kk': 'VARCHAR', 'kode_desa': 'VARCHAR'}}) AS t
          ON t.no_kk = f.no_kk""").fetchnumpy()
    published = connection.execute("SELECT count(*) FROM welfare.decile").fetchone()[0]
    weights = np.asarray(frame["jumlah_art"], dtype=float)
    poor_rank = midrank_persentil(np.log(np.maximum(np.asarray(frame["pengeluaran_kapita"], dtype=float), 1.0)),
                                  weights)
    desil = np.asarray(frame["desil"])
    result: dict = {"families": int(desil.size), "families_without_truth": int(published - desil.size)}
    for name, upto in DESIL_QUOTAS.items():
        poor, selected = poor_rank <= 10.0 * upto, desil <= upto
        result[name] = {
            "exclusion_error": float(weights[poor & ~selected].sum() / max(weights[poor].sum(), 1.0)),
            "inclusion_error": float(weights[selected & ~poor].sum() / max(weights[selected].sum(), 1.0)),
        }
    return result
