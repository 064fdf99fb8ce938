"""What every column of the published tables means: the one declaration of column descriptions
(shown in the Dagster UI's column schema) and of the column lineage of the contract tables.

`describe_column(table, column)` is used by `warehouse.column_schema`, so every table asset's
`dagster/column_schema` carries descriptions; `column_lineage(table)` gives the contract tables'
`dagster/column_lineage`. docs/audit.md explains the tables in words.
"""

from __future__ import annotations

import dagster as dg

from dtsen_assets.welfare.variables import DESCRIPTION as WELFARE_DESCRIPTION
from dtsen_assets.welfare.variables import MODEL_VARIABLES

PERSON = {
    "person_id": "Stable person id: 'P' + hash of the confirmed NIK, else 'R' + hash of the smallest source record (salted).",
    "nik": "NIK as confirmed by Dukcapil; NULL when none could be confirmed (personal data, masked in the UI).",
    "no_kk": "Current family card number (Dukcapil; else the card of the source family) (masked in the UI).",
    "nama": "Name (Dukcapil for a PADAN person, else from the source records) (masked in the UI).",
    "tgl_lahir": "Birth date (masked in the UI).",
    "jenis_kelamin": "Sex: L / P.",
    "kode_desa": "Current 10-digit village code (Dukcapil for a PADAN person).",
    "family_id": "The family (dtsen.family) the person belongs to; NULL when the person's family has no active member.",
    "status_padan": "PADAN: matched to a living Dukcapil person; TIDAK_PADAN otherwise.",
    "is_active": "Alive and not removed by a rule.",
    "inactive_reason": "Why not active (meninggal_dukcapil: dead in Dukcapil); NULL when active.",
}
PERSON_SOURCE = {
    "source": "Registry of the record: dtks / p3ke / regsosek.",
    "source_record_id": "The record's id: DTKS ID_ART, P3KE ID_INDIVIDU, REGSOSEK ID_KELUARGA-NO_ART.",
    "person_id": "The person the record became; NULL when rejected.",
    "match_method": "How it was linked: exact_nik, cleaned_nik, corrected_nik, nik_ganda_resolved, verivali_nik, "
                    "exact_nik_scored, dukcapil_search, linked_record, probabilistic_cluster, unmatched.",
    "match_score": "Confidence in [0, 1]: 1 for the own-NIK rule, else the posterior of the match.",
    "reject_reason": "Why the record was rejected (tanpa_nama); NULL when linked.",
}
FAMILY = {
    "family_id": "Family id: 'F' + hash of the family card (NO_KK), 'G' + hash of the source family without a card.",
    "no_kk": "Family card number (masked in the UI).",
    "kode_desa": "The commonest current village of the active members.",
    "kode_kab": "Regency/city code: the first 4 digits of kode_desa.",
    "jumlah_art": "Active members.",
    "art_balita": "Active members aged 0-4.",
    "art_sekolah": "Active members aged 7-18.",
    "art_lansia": "Active members aged 60 and over.",
    "art_disabilitas": "Active members with a disability.",
}
PMT_SCORE = {
    "family_id": "The scored family (dtsen.family).",
    "pengeluaran_kapita_pmt": "Predicted consumption, Rupiah per person per month (PMT).",
    "model_version": "The PMT model that scored the family (welfare.pmt_model).",
}
DECILE = {
    "family_id": "The family (dtsen.family).",
    "desil": "National welfare decile 1..10 (1 = poorest tenth of persons), population-weighted.",
    "persentil": "Share of persons in poorer families plus half the family's own members, in (0, 100].",
}
DESIL_BATAS = {
    "desil": "Decile 1..10.",
    "pengeluaran_kapita_pmt_min": "Lowest predicted consumption in the decile (Rupiah/person/month).",
    "pengeluaran_kapita_pmt_maks": "Highest predicted consumption in the decile: the cut point to the next.",
    "jumlah_jiwa": "Persons (active members) in the decile.",
    "jumlah_keluarga": "Families in the decile.",
    "persen_jiwa": "Share of persons in the decile (about 10).",
}
EXPLANATION = {
    "family_id": "The explained family.",
    "peringkat": "Rank of the factor within the family (largest effect first).",
    "variabel": "The variable, or the fact (krt_pekerjaan, fasilitas_sanitasi) explained as one.",
    "nilai_keluarga": "The family's value, in words.",
    "nilai_umum_kabupaten": "The typical family's value in the regency.",
    "sumber": "The registry the family's value came from.",
    "dampak_persen": "Effect on predicted consumption per person, percent (net effect for a fact).",
    "arah": "menaikkan (raises) / menurunkan (lowers).",
    "penjelasan": "The factor in one Indonesian sentence.",
    "selisih_dari_keluarga_umum_persen": "Total difference from the typical family of the regency, percent.",
    "variabel_tidak_terdata": "Variables not recorded for the family (filled in for scoring, never a reason).",
    "data_model": "The data tier whose model scored the family (lengkap, rumah_aset_utama, rumah_pokok).",
    "model_version": "The PMT model version.",
}
BELUM_TERDATA = {
    "family_id": "A family not scored.",
    "alasan": "Why it is not scored.",
    "keterangan": "Details, in words.",
    "keterangan_rumah_pokok_terdata": "Core housing variables recorded.",
    "keterangan_rumah_aset_terdata": "Housing and main asset variables recorded.",
}
MATCH_EVIDENCE = {
    "step": "Which step linked the record: padan_nik_sendiri, padan_pencarian, tautan_record_lain, "
            "klaster_probabilistik, tidak_tertaut.",
    "unmatched_reason": "Why the candidate search took no Dukcapil person (no_candidate, identity_not_confirmed, "
                        "ambiguous, weak_evidence).",
    "nik_dukcapil": "NIK of the Dukcapil person the record became (masked in the UI).",
    "own_nik_status": "Step 1: whether the identity agrees with the Dukcapil person of the record's own NIK.",
    "own_nik_name_score": "Step 1: name agreement with that person, 0..1.",
    "nik_verivali": "NIK a village meeting gave for the record (PERBAIKAN_NIK) (masked in the UI).",
    "candidates": "Dukcapil candidates the search scored.",
    "nik_chosen": "NIK of the best candidate (masked in the UI).",
    "chosen_match_weight": "Match weight of the best candidate, bits.",
    "chosen_posterior": "Posterior probability of the best candidate.",
    "chosen_identity_weight": "Weight of name, birth date and sex alone, bits.",
    "field_evidence": "Per field (nik, nama, tgl_lahir, jenis_kelamin, desa, kartu_keluarga): level and weight.",
    "agreeing_fields": "Fields whose weight is positive.",
    "disagreeing_fields": "Fields whose weight is negative.",
    "nik_runner_up": "NIK of the second-best candidate (masked in the UI).",
    "runner_up_match_weight": "Match weight of the runner-up, bits.",
    "runner_up_posterior": "Posterior probability of the runner-up.",
    "runner_up_field_evidence": "Per field level and weight of the runner-up.",
    "linked_posterior": "Posterior of the link to another record's person (linked_record).",
    "linked_match_weight": "Match weight of that link, bits.",
}
# unify.person_value_source: one row per person, a pair of columns per value (docs/audit.md)
PERSON_VALUE_SOURCE = {
    "person_id": PERSON["person_id"],
    "nik_source": "Where the person's nik came from: dukcapil (NULL: a person without a confirmed NIK).",
    **{f"{v}_source": f"Where the person's {v} came from: dukcapil, dtks, regsosek or p3ke (NULL: no source holds it)."
       for v in ("no_kk", "nama", "tgl_lahir", "jenis_kelamin", "kode_desa", "pendidikan", "status_bekerja",
                 "lapangan_usaha", "kedudukan_kerja", "disabilitas")},
    **{f"{v}_source_record_id": f"The source record holding the person's {v} (NULL for Dukcapil: the person's own NIK)."
       for v in ("no_kk", "nama", "tgl_lahir", "jenis_kelamin", "kode_desa", "pendidikan", "status_bekerja",
                 "lapangan_usaha", "kedudukan_kerja", "disabilitas")},
}
# unify.family_value_source: one row per family; with dtsen.family's <v>_source the origin of every value
FAMILY_VALUE_SOURCE = {
    "kepala_keluarga_person_id": "The head of family (person_id): where the krt_* values come from.",
    **{f"{s}_source_family_id": f"The {s.upper()} family that spoke for the family: where a value whose <v>_source "
                                f"is {s} comes from."
       for s in ("dtks", "regsosek", "p3ke")},
    **{f"{s}_tgl_update": f"Update date of that {s.upper()} family." for s in ("dtks", "regsosek", "p3ke")},
}
VERIVALI_OUTCOME = {
    "source_file": "The verivali file of the decision.", "line_number": "Its line in the file.",
    "no_ba": "Minutes (berita acara) number of the village meeting.", "kode_desa": "The village of the meeting.",
    "tgl_musdes": "Date of the village meeting.", "aksi": "The decision (meninggal, pindah, perbaikan_nik, mampu, ...).",
    "person_id": "The person it is about.", "outcome": "What the decision did (dikonfirmasi_dukcapil, perlu_cek_lapangan, ...).",
}
AUDIT_EXPLANATION = {
    "query_kind": "person_id or family_id.", "query_id": "The configured id.", "found": "Whether it exists.",
    "desil": "The family's desil.", "explanation_json": "The masked explanation (python -m dtsen_assets.explain --json).",
    "explanation_text": "The masked explanation in words.", "created_at": "When it was built (UTC).",
}

COLUMN_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "dtsen.person": PERSON,
    "dtsen.person_source": PERSON_SOURCE,
    "dtsen.family": FAMILY,
    "welfare.pmt_score": PMT_SCORE,
    "welfare.decile": DECILE,
    "welfare.desil_batas": DESIL_BATAS,
    "welfare.explanation": EXPLANATION,
    "welfare.belum_terdata": BELUM_TERDATA,
    "unify.match_evidence": {"source": PERSON_SOURCE["source"], "source_record_id": PERSON_SOURCE["source_record_id"],
                             **MATCH_EVIDENCE},
    "unify.person_value_source": PERSON_VALUE_SOURCE,
    "unify.family_value_source": {"family_id": FAMILY["family_id"], **FAMILY_VALUE_SOURCE},
    "unify.verivali_outcome": VERIVALI_OUTCOME,
    "audit.explanation": AUDIT_EXPLANATION,
}
# Columns with the same meaning wherever they appear.
COMMON: dict[str, str] = {
    **{k: v for k, v in PERSON.items() if k not in ("family_id",)},
    "family_id": "Family id (dtsen.family).",
    "source_family_id": "The family id in its source registry (DTKS ID_KELUARGA, P3KE ID_KELUARGA, REGSOSEK ID_KELUARGA).",
    "line_number": "Line of the source file the row came from.",
    "problems": "What staging found wrong in the row (codes, formats), empty when nothing.",
    "_source_file": "The source file the row was read from.",
    "_line_number": "Line of the source file the row came from.",
    "kode_kab": FAMILY["kode_kab"], "kode_prov": "Province code: the first 2 digits.",
    "model_version": "PMT model version.", "desil": DECILE["desil"],
    "tgl_update": "DTKS update date of the family.",
}


def describe_column(table: str, column: str) -> str:
    """The description of a column: declared for the table, else common to all tables, else a
    welfare variable's (with its _source), else a raw column (as received) or a pointer to the docs."""
    table = table.removesuffix("__staging")
    declared = COLUMN_DESCRIPTIONS.get(table, {})
    if column in declared:
        return declared[column]
    if column.endswith("_source") and column[:-7] in WELFARE_DESCRIPTION:
        return f"Registry the value of {column[:-7]} was taken from (survivorship rule, dtsen_assets/unify/families.py)."
    if column in WELFARE_DESCRIPTION:
        return WELFARE_DESCRIPTION[column][0].upper() + WELFARE_DESCRIPTION[column][1:] + " (canonical value, codebook.csv)."
    if column in COMMON:
        return COMMON[column]
    schema = table.split(".")[0]
    if schema == "raw":
        return f"Column {column} of the source file, as received (text), see docs/contract.md."
    return f"See docs/internal_tables.md ({table})."


def _lineage(*deps: tuple[str, str]) -> list[dg.TableColumnDep]:
    return [dg.TableColumnDep(asset_key=dg.AssetKey(table.split(".")), column_name=column) for table, column in deps]


# Column lineage of the contract tables (which upstream columns each column is computed from).
_IDENTITY = ("nik", "no_kk", "nama", "tgl_lahir", "jenis_kelamin", "kode_desa")
COLUMN_LINEAGE: dict[str, dict[str, list[dg.TableColumnDep]]] = {
    "dtsen.person": {
        **{c: _lineage(("staging.dukcapil_person", c), ("staging.person_record", c)) for c in _IDENTITY if c != "nik"},
        "nik": _lineage(("staging.dukcapil_person", "nik"), ("staging.person_record", "nik_raw"),
                        ("staging.verivali_decision", "nik_baru")),
        "person_id": _lineage(("staging.dukcapil_person", "nik"), ("staging.person_record", "source_record_id")),
        "status_padan": _lineage(("staging.dukcapil_person", "nik"), ("staging.dukcapil_person", "is_alive")),
        "is_active": _lineage(("staging.dukcapil_person", "is_alive")),
        "inactive_reason": _lineage(("staging.dukcapil_person", "is_alive")),
        "family_id": _lineage(("staging.dukcapil_person", "no_kk"), ("staging.person_record", "no_kk"),
                              ("staging.person_record", "source_family_id")),
    },
    "dtsen.person_source": {
        "source": _lineage(("staging.person_record", "source")),
        "source_record_id": _lineage(("staging.person_record", "source_record_id")),
        "person_id": _lineage(("staging.person_record", "nik_raw"), ("staging.dukcapil_person", "nik")),
        "match_method": _lineage(("staging.person_record", "nik_raw"), ("staging.dukcapil_person", "nik")),
        "match_score": _lineage(("staging.person_record", "nama"), ("staging.person_record", "tgl_lahir"),
                                ("staging.dukcapil_person", "nama"), ("staging.dukcapil_person", "tgl_lahir")),
    },
    "dtsen.family": {
        "no_kk": _lineage(("staging.dukcapil_person", "no_kk"), ("staging.person_record", "no_kk")),
        "kode_desa": _lineage(("staging.dukcapil_person", "kode_desa"), ("staging.person_record", "kode_desa")),
        "jumlah_art": _lineage(("staging.dukcapil_person", "is_alive"), ("staging.person_record", "source_record_id")),
        **{v: _lineage(("staging.family_record", v)) for v in WELFARE_DESCRIPTION
           if v not in ("kode_kab", "jumlah_art", "art_balita", "art_sekolah", "art_lansia", "art_disabilitas",
                        "krt_jenis_kelamin", "krt_umur", "krt_pendidikan", "krt_status_bekerja",
                        "krt_lapangan_usaha", "krt_kedudukan_kerja")},
        **{f"krt_{v}": _lineage(("staging.person_record", v))
           for v in ("pendidikan", "status_bekerja", "lapangan_usaha", "kedudukan_kerja")},
    },
    "welfare.pmt_score": {
        "pengeluaran_kapita_pmt": _lineage(("dtsen.family", "kode_kab"), *(("dtsen.family", v) for v in MODEL_VARIABLES),
                                           ("welfare.pmt_model", "model_version")),
        "model_version": _lineage(("welfare.pmt_model", "model_version")),
    },
    "welfare.decile": {
        "desil": _lineage(("welfare.pmt_score", "pengeluaran_kapita_pmt"), ("dtsen.family", "jumlah_art")),
        "persentil": _lineage(("welfare.pmt_score", "pengeluaran_kapita_pmt"), ("dtsen.family", "jumlah_art")),
    },
}


def column_lineage(table: str) -> dg.TableColumnLineage | None:
    deps = COLUMN_LINEAGE.get(table.removesuffix("__staging"))
    return dg.TableColumnLineage(deps_by_column=deps) if deps else None
