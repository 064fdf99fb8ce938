"""A stand-in for the staging layer, used only until `dtsen_assets.staging` lands.

Builds `staging.person_record`, `staging.family_record`, `staging.dukcapil_person` and
`staging.verivali_decision` from the `raw.*` tables with exactly the columns of
docs/internal_tables.md, so unify can be developed and benchmarked on generated drops. It is
deliberately plain (codebook maps as literals, a few regular expressions for names); the real
staging layer is engineer S's and replaces this as soon as it exists (see `build_staging`).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import duckdb

CODEBOOK = Path(__file__).resolve().parents[2] / "data" / "codebook.csv"

# Sources' person files: (source, raw table, family table, record id, family id, columns)
PERSON_SOURCES = {
    "dtks": dict(table="raw.dtks_art", family="raw.dtks_keluarga", record_id="p.ID_ART", family_id="p.ID_KELUARGA",
                 family_key="ID_KELUARGA", nik="NIK", nama="NAMA", tgl="TGL_LAHIR", tgl_format="%d-%m-%Y",
                 umur=None, jk="JENIS_KELAMIN", hub="HUB_KK",
                 kode_desa="replace(f.KODE_WILAYAH, '.', '')"),
    "p3ke": dict(table="raw.p3ke_individu", family="raw.p3ke_keluarga", record_id="p.ID_INDIVIDU",
                 family_id="p.ID_KELUARGA_P3KE", family_key="ID_KELUARGA_P3KE", nik="NIK", nama="NAMA",
                 tgl="TANGGAL_LAHIR", tgl_format="%Y-%m-%d", umur="USIA", jk="JENIS_KELAMIN",
                 hub="HUBUNGAN_DENGAN_KEPALA_KELUARGA", kode_desa="f.KODE_DESA"),
    "regsosek": dict(table="raw.regsosek_individu", family="raw.regsosek_keluarga",
                     record_id="p.ID_KELUARGA || '-' || p.NO_ART", family_id="p.ID_KELUARGA",
                     family_key="ID_KELUARGA", nik="NIK", nama="NAMA", tgl="TGL_LAHIR", tgl_format="%Y-%m-%d",
                     umur="UMUR", jk="JK", hub="HUB_KK", kode_desa="f.KODE_DESA"),
}
PERSON_CODED = {  # source -> {column: canonical variables}
    "dtks": {"DISABILITAS": ["disabilitas"]},
    "p3ke": {"PENDIDIKAN": ["pendidikan"], "PEKERJAAN": ["status_bekerja", "lapangan_usaha", "kedudukan_kerja"]},
    "regsosek": {"PENDIDIKAN": ["pendidikan"], "STATUS_BEKERJA": ["status_bekerja"],
                 "LAPANGAN_USAHA": ["lapangan_usaha"], "KEDUDUKAN_KERJA": ["kedudukan_kerja"],
                 "DISABILITAS": ["disabilitas"], "PENYAKIT_KRONIS": ["penyakit_kronis"]},
}
PERSON_VARIABLES = ("pendidikan", "status_bekerja", "lapangan_usaha", "kedudukan_kerja", "disabilitas",
                    "penyakit_kronis")
HOUSING = ("status_bangunan", "lantai", "dinding", "atap", "air_minum", "penerangan", "daya_listrik",
           "bahan_bakar", "fasilitas_bab", "jenis_kloset", "pembuangan_tinja")
ASSETS = ("aset_tabung_gas_5kg", "aset_lemari_es", "aset_ac", "aset_pemanas_air", "aset_telepon_rumah",
          "aset_televisi", "aset_emas", "aset_komputer", "aset_sepeda", "aset_sepeda_motor", "aset_mobil",
          "aset_perahu", "aset_motor_tempel", "aset_perahu_motor", "aset_smartphone")
LIVESTOCK = ("ternak_sapi", "ternak_kerbau", "ternak_kuda", "ternak_babi", "ternak_kambing")
FAMILY_CODED = {
    "dtks": {"STATUS_BANGUNAN": "status_bangunan", "LANTAI": "lantai", "DINDING": "dinding", "ATAP": "atap",
             "AIR_MINUM": "air_minum", "BB_MASAK": "bahan_bakar", "BAB": "fasilitas_bab"},
    "p3ke": {"STATUS_RUMAH": "status_bangunan", "JENIS_LANTAI": "lantai", "JENIS_DINDING": "dinding",
             "JENIS_ATAP": "atap", "SUMBER_AIR_MINUM": "air_minum", "FASILITAS_BAB": "fasilitas_bab",
             "SUMBER_PENERANGAN": "penerangan", "BAHAN_BAKAR_MEMASAK": "bahan_bakar"},
    "regsosek": {c.upper(): c for c in HOUSING if c != "bahan_bakar"} | {"BAHAN_BAKAR": "bahan_bakar",
                                                                          "RUMAH_LAIN": "rumah_lain"},
}
DTKS_ASSETS = ("ASET_LEMARI_ES", "ASET_AC", "ASET_SEPEDA_MOTOR", "ASET_MOBIL", "ASET_EMAS")
DUKCAPIL_HUB = {"KEPALA KELUARGA": "kepala_keluarga", "SUAMI": "istri_suami", "ISTRI": "istri_suami",
                "ANAK": "anak", "MENANTU": "menantu", "CUCU": "cucu", "ORANG TUA": "orang_tua_mertua",
                "MERTUA": "orang_tua_mertua", "FAMILI LAIN": "lainnya", "PEMBANTU": "pembantu", "LAINNYA": "lainnya"}


def _codebook() -> dict[tuple[str, str, str], dict[str, str]]:
    maps: dict[tuple[str, str, str], dict[str, str]] = defaultdict(dict)
    with CODEBOOK.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = " ".join(row["code"].split()).lower()
            maps[(row["source"], row["variable"], row["canonical_variable"])][key] = row["canonical_value"]
    return maps


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _map_sql(mapping: dict[str, str], expression: str) -> str:
    pairs = ", ".join(f"{_quote(k)}: {_quote(v)}" for k, v in sorted(mapping.items()))
    return f"MAP {{{pairs}}}[lower(regexp_replace(trim({expression}), '\\s+', ' ', 'g'))]"


def _coded(maps, source: str, column: str, canonical: str, alias: str) -> str:
    key = "ASET_*" if column.startswith("ASET_") else column
    canonical_key = "aset_*" if canonical.startswith("aset_") else canonical
    return _map_sql(maps[(source, key, canonical_key)], f"{alias}.{column}")


NIK_CLEAN = "CASE WHEN regexp_full_match(d, '[0-9]{16}') AND d <> '0000000000000000' THEN d END"
NAME_STD = r"""
trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
regexp_replace(regexp_replace(regexp_replace(regexp_replace(
  ' ' || upper(coalesce({x}, '')) || ' ',
  '\s+BINTI?\s+.*$', ' '),
  ',.*$', ' '),
  '\s(S\.PD\.I|S\.PD|S\.E\.|S\.H\.|S\.T\.|S\.KOM|S\.AG|S\.SOS|A\.MD|M\.PD|SE)\s*$', ' '),
  '^\s*(H\.|H|HJ\.|HJ|DRS\.|DRA\.|IR\.|DR\.|KH\.)\s+', ' '),
  '^\s*(MUH\.?|MOCH\.?|MOH\.)\s', ' MUHAMMAD '),
  '\s(ABD\.?)\s', ' ABDUL ', 'g'),
  '\s(AHM\.)\s', ' AHMAD ', 'g'),
  '\sST\.\s', ' SITI ', 'g'),
  '[^A-Z ]', '', 'g'),
  '\s+', ' ', 'g'))
"""


def _name(expression: str) -> str:
    return f"nullif({NAME_STD.format(x=expression)}, '')"


def build_staging(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the four staging.* tables unify reads, from raw.* (already loaded)."""
    maps = _codebook()
    connection.execute("CREATE SCHEMA IF NOT EXISTS staging")
    _dukcapil(connection)
    _families(connection, maps)
    _persons(connection, maps)
    _verivali(connection)


def _dukcapil(connection) -> None:
    hub = _map_sql({k.lower(): v for k, v in DUKCAPIL_HUB.items()}, "STAT_HBKEL")
    connection.execute(f"""
        CREATE OR REPLACE TABLE staging.dukcapil_person AS
        SELECT NIK AS nik, NO_KK AS no_kk, {_name('NAMA_LGKP')} AS nama,
               try_strptime(TGL_LHR, '%Y-%m-%d')::DATE AS tgl_lahir,
               CASE JENIS_KLMIN WHEN 'LAKI-LAKI' THEN 'L' WHEN 'PEREMPUAN' THEN 'P' END AS jenis_kelamin,
               {hub} AS hub_kk, KODE_DESA AS kode_desa, STATUS = 'HIDUP' AS is_alive,
               try_strptime(TGL_MENINGGAL, '%Y-%m-%d')::DATE AS tgl_meninggal,
               _line_number AS line_number, []::VARCHAR[] AS problems
        FROM raw.dukcapil_penduduk
    """)


def _families(connection, maps) -> None:
    selects = []
    welfare = [*HOUSING, "luas_lantai", *ASSETS, "luas_lahan", "rumah_lain", *LIVESTOCK]
    for source, spec in PERSON_SOURCES.items():
        values: dict[str, str] = {}
        for column, canonical in FAMILY_CODED[source].items():
            values[canonical] = _coded(maps, source, column, canonical, "f")
        if source == "dtks":
            values["penerangan"] = _coded(maps, "dtks", "PENERANGAN", "penerangan", "f")
            values["daya_listrik"] = _coded(maps, "dtks", "PENERANGAN", "daya_listrik", "f")
            for column in DTKS_ASSETS:
                values[column.lower()] = _coded(maps, "dtks", column, column.lower(), "f")
            values["luas_lantai"] = "try_cast(f.LUAS_LANTAI AS DOUBLE)"
        if source == "regsosek":
            for column in ASSETS:
                values[column] = _coded(maps, "regsosek", column.upper(), column, "f")
            for column in ("luas_lantai", "luas_lahan"):
                values[column] = f"try_cast(f.{column.upper()} AS DOUBLE)"
            for column in LIVESTOCK:
                values[column] = f"try_cast(f.{column.upper()} AS INTEGER)"
        cols = ",\n".join(f"{values.get(v, 'NULL')} AS {v}" for v in welfare)
        kode = spec["kode_desa"]
        selects.append(f"""
            SELECT '{source}' AS source, f.{spec['family_key']} AS source_family_id, f._line_number AS line_number,
                   {NIK_CLEAN.replace('d', "regexp_replace(coalesce(f.NO_KK, ''), '[^0-9]', '', 'g')")} AS no_kk,
                   {kode} AS kode_desa,
                   {"try_strptime(f.TGL_UPDATE, '%d-%m-%Y')::DATE" if source == 'dtks' else 'NULL::DATE'} AS tgl_update,
                   {"try_cast(f.DESIL_P3KE AS INTEGER)" if source == 'p3ke' else 'NULL::INTEGER'} AS desil_p3ke,
                   {"f.PKH = '1'" if source == 'dtks' else 'NULL::BOOLEAN'} AS pkh,
                   {"f.BPNT = '1'" if source == 'dtks' else 'NULL::BOOLEAN'} AS bpnt,
                   {"f.PBI_JK = '1'" if source == 'dtks' else 'NULL::BOOLEAN'} AS pbi_jk,
                   {cols},
                   []::VARCHAR[] AS problems
            FROM {spec['family']} f""")
    connection.execute("CREATE OR REPLACE TABLE staging.family_record AS " + " UNION ALL BY NAME ".join(selects))


def _persons(connection, maps) -> None:
    selects = []
    for source, spec in PERSON_SOURCES.items():
        values: dict[str, str] = {}
        for column, canonicals in PERSON_CODED[source].items():
            for canonical in canonicals:
                values[canonical] = _coded(maps, source, column, canonical, "p")
        hub = _coded(maps, source, spec["hub"], "hub_kk", "p")
        jk = _coded(maps, source, spec["jk"], "jenis_kelamin", "p")
        digits = f"regexp_replace(coalesce(p.{spec['nik']}, ''), '[^0-9]', '', 'g')"
        date = f"try_strptime(p.{spec['tgl']}, '{spec['tgl_format']}')::DATE"
        umur = f"try_cast(p.{spec['umur']} AS INTEGER)" if spec["umur"] else "NULL::INTEGER"
        variables = ",\n".join(f"{values.get(v, 'NULL')} AS {v}" for v in PERSON_VARIABLES)
        selects.append(f"""
            SELECT '{source}' AS source, {spec['record_id']} AS source_record_id,
                   {spec['family_id']} AS source_family_id, p._line_number AS line_number,
                   p.{spec['nik']} AS nik_raw, {NIK_CLEAN.replace('d', digits)} AS nik,
                   p.{spec['nama']} AS nama_raw, {_name('p.' + spec['nama'])} AS nama,
                   CASE WHEN {date} = DATE '1900-01-01' THEN NULL ELSE {date} END AS tgl_lahir,
                   {umur} AS umur, {jk} AS jenis_kelamin, {hub} AS hub_kk,
                   f.no_kk, f.kode_desa, {variables},
                   list_filter([
                     CASE WHEN p.{spec['nik']} IS NOT NULL AND p.{spec['nik']} LIKE '''%' THEN 'nik_apostrophe' END,
                     CASE WHEN p.{spec['nik']} LIKE '% %' THEN 'nik_spaces' END,
                     CASE WHEN length({digits}) NOT IN (0, 16) THEN 'nik_length' END,
                     CASE WHEN {digits} = '0000000000000000' THEN 'nik_all_zero' END,
                     CASE WHEN p.{spec['tgl']} IS NOT NULL AND {date} IS NULL THEN 'date_impossible' END,
                     CASE WHEN {date} = DATE '1900-01-01' THEN 'date_placeholder' END,
                     CASE WHEN p.{spec['tgl']} IS NULL AND {umur} IS NOT NULL THEN 'date_missing_age_only' END
                   ], lambda x: x IS NOT NULL) AS problems
            FROM {spec['table']} p
            LEFT JOIN staging.family_record f ON f.source = '{source}' AND f.source_family_id = {spec['family_id']}
        """)
    connection.execute("CREATE OR REPLACE TABLE staging.person_record AS " + " UNION ALL BY NAME ".join(selects))
    # nik_valid: birth-date and sex digits of the NIK agree with the record.
    connection.execute("""
        ALTER TABLE staging.person_record ADD COLUMN nik_valid BOOLEAN;
        UPDATE staging.person_record SET nik_valid = nik IS NOT NULL AND tgl_lahir IS NOT NULL
          AND substr(nik, 7, 6) = lpad(CAST(day(tgl_lahir) + CASE WHEN jenis_kelamin = 'P' THEN 40 ELSE 0 END AS VARCHAR), 2, '0')
                                  || strftime(tgl_lahir, '%m%y');
    """)


def _verivali(connection) -> None:
    connection.execute(f"""
        CREATE OR REPLACE TABLE staging.verivali_decision AS
        SELECT _source_file AS source_file, _line_number AS line_number, NO_BA AS no_ba, KODE_DESA AS kode_desa,
               try_strptime(TGL_MUSDES, '%Y-%m-%d')::DATE AS tgl_musdes,
               {NIK_CLEAN.replace('d', "regexp_replace(coalesce(NIK, ''), '[^0-9]', '', 'g')")} AS nik,
               {NIK_CLEAN.replace('d', "regexp_replace(coalesce(NO_KK, ''), '[^0-9]', '', 'g')")} AS no_kk,
               {_name('NAMA')} AS nama, upper(trim(AKSI)) AS aksi,
               {NIK_CLEAN.replace('d', "regexp_replace(coalesce(NIK_BARU, ''), '[^0-9]', '', 'g')")} AS nik_baru,
               KETERANGAN AS keterangan, []::VARCHAR[] AS problems
        FROM raw.verivali_musdes
    """)


def load_raw(connection: duckdb.DuckDBPyConnection, drop: Path) -> None:
    """raw.* straight from the drop's CSV files (all VARCHAR, `_source_file`, `_line_number`)."""
    from dtsen_assets.contract import SOURCE_FILES

    connection.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for source_file in SOURCE_FILES:
        paths = sorted(drop.glob(source_file.path))
        if not paths:
            columns = ", ".join(f"NULL::VARCHAR AS {c}" for c in source_file.columns)
            connection.execute(f"CREATE OR REPLACE TABLE {source_file.table} AS SELECT NULL::VARCHAR AS _source_file, "
                               f"NULL::BIGINT AS _line_number, {columns} LIMIT 0")
            continue
        files = "[" + ", ".join(_quote(str(p)) for p in paths) + "]"
        connection.execute(f"""
            CREATE OR REPLACE TABLE {source_file.table} AS
            SELECT parse_filename(filename) AS _source_file,
                   row_number() OVER (PARTITION BY filename ORDER BY 1) + 1 AS _line_number,
                   * EXCLUDE (filename)
            FROM read_csv({files}, header = true, all_varchar = true, delim = {_quote(source_file.delimiter)},
                          filename = true, quote = '"')
        """)
