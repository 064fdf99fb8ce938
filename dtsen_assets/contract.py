"""The input contract of one source drop (docs/contract.md) as data.

One place says which files a drop holds, how they are separated, which columns they must
have and what identifies a record. The raw assets, their checks and the drop generator all
read it, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from dtsen_assets.platform.vocabulary import ASSETS, LIVESTOCK, WELFARE_VARIABLES, source_column

REGSOSEK_ASSET_COLUMNS: tuple[str, ...] = tuple(source_column(v) for v in ASSETS)
LIVESTOCK_COLUMNS: tuple[str, ...] = tuple(source_column(v) for v in LIVESTOCK)
# Housing, assets, land and livestock, the canonical welfare variables in upper case: shared by
# regsosek/keluarga.csv and susenas/rumah_tangga.csv.
REGSOSEK_WELFARE_COLUMNS: tuple[str, ...] = tuple(source_column(v) for v in WELFARE_VARIABLES)
DTKS_ASSET_COLUMNS: tuple[str, ...] = (
    "ASET_LEMARI_ES", "ASET_AC", "ASET_SEPEDA_MOTOR", "ASET_MOBIL", "ASET_EMAS",
)

# Columns whose values identify a person or a place; masked wherever they are shown.
PII_COLUMNS: frozenset[str] = frozenset({
    "NIK", "NIK_BARU", "NIK_KEPALA_KELUARGA", "NO_KK", "NAMA", "NAMA_LGKP", "TMPT_LHR",
    "TGL_LHR", "TGL_LAHIR", "TANGGAL_LAHIR", "ALAMAT", "RT", "RW", "TGL_MENINGGAL",
    # canonical (lower-case) names used after staging
    "nik", "nik_baru", "no_kk", "nama", "tgl_lahir", "alamat", "nama_std",
    # staging keeps the text as received beside the cleaned value; verivali notes are free text
    "nik_raw", "nama_raw", "no_kk_raw", "tgl_lahir_raw", "tgl_meninggal", "keterangan",
    # unify.match_evidence: the NIKs behind a match decision
    "nik_dukcapil", "nik_verivali", "nik_chosen", "nik_runner_up",
    # Cek Bansos: who objects and whom, and the citizens' free text (it can hold names and NIKs)
    "NIK_PENYANGGAH", "NIK_SASARAN", "ALASAN", "nik_penyanggah", "nik_sasaran", "alasan_warga",
})


@dataclass(frozen=True)
class SourceFile:
    """One file (or, for verivali, one family of files) of a source drop."""

    key: str                      # asset and raw table name, e.g. "dtks_art"
    source: str                   # dukcapil / dtks / p3ke / regsosek / susenas / verivali
    path: str                     # relative to the drop folder; a glob for verivali
    delimiter: str
    columns: tuple[str, ...]      # required columns, in the contract's order
    record_id: tuple[str, ...]    # columns that together identify a record; () = none
    description: str
    many_files: bool = False      # zero or more files matched by a glob
    optional: bool = False        # the file may be absent (an empty table then); present, it is checked like any other
    # The file records events (village decisions, citizens' claims), not an extract of the same records as
    # the last drop: its rows, ids and codes change with what happened, so it is not compared for drift.
    event_log: bool = False

    @property
    def table(self) -> str:
        return f"raw.{self.key}"


SOURCE_FILES: tuple[SourceFile, ...] = (
    SourceFile(
        key="dukcapil_penduduk", source="dukcapil", path="dukcapil/penduduk.csv", delimiter=",",
        columns=("NIK", "NO_KK", "NAMA_LGKP", "TMPT_LHR", "TGL_LHR", "JENIS_KLMIN", "STAT_HBKEL",
                 "KODE_DESA", "ALAMAT", "RT", "RW", "STATUS", "TGL_MENINGGAL"),
        record_id=("NIK",),
        description="Civil registry (Dukcapil): one row per person ever registered; the identity authority.",
    ),
    SourceFile(
        key="dtks_keluarga", source="dtks", path="dtks/keluarga.csv", delimiter=";",
        columns=("ID_KELUARGA", "NO_KK", "KODE_WILAYAH", "ALAMAT", "PKH", "BPNT", "PBI_JK",
                 "TGL_UPDATE", "STATUS_BANGUNAN", "LUAS_LANTAI", "LANTAI", "DINDING", "ATAP",
                 "AIR_MINUM", "PENERANGAN", "BB_MASAK", "BAB", *DTKS_ASSET_COLUMNS),
        record_id=("ID_KELUARGA",),
        description="Kemensos DTKS families exported from SIKS-NG (semicolon separated).",
    ),
    SourceFile(
        key="dtks_art", source="dtks", path="dtks/art.csv", delimiter=";",
        columns=("ID_ART", "ID_KELUARGA", "NIK", "NAMA", "TGL_LAHIR", "JENIS_KELAMIN", "HUB_KK",
                 "STATUS_PADAN", "DISABILITAS"),
        record_id=("ID_ART",),
        description="Kemensos DTKS family members (anggota rumah tangga) exported from SIKS-NG.",
    ),
    SourceFile(
        key="p3ke_keluarga", source="p3ke", path="p3ke/keluarga.csv", delimiter=",",
        columns=("ID_KELUARGA_P3KE", "NO_KK", "NIK_KEPALA_KELUARGA", "KODE_PROVINSI",
                 "KODE_KABUPATEN", "KODE_KECAMATAN", "KODE_DESA", "DESIL_P3KE", "STATUS_RUMAH",
                 "JENIS_LANTAI", "JENIS_DINDING", "JENIS_ATAP", "SUMBER_AIR_MINUM", "FASILITAS_BAB",
                 "SUMBER_PENERANGAN", "BAHAN_BAKAR_MEMASAK"),
        record_id=("ID_KELUARGA_P3KE",),
        description="P3KE families (extreme-poverty targeting, BKKBN family data) with housing as text labels.",
    ),
    SourceFile(
        key="p3ke_individu", source="p3ke", path="p3ke/individu.csv", delimiter=",",
        columns=("ID_INDIVIDU", "ID_KELUARGA_P3KE", "NIK", "NAMA", "JENIS_KELAMIN", "TANGGAL_LAHIR",
                 "USIA", "HUBUNGAN_DENGAN_KEPALA_KELUARGA", "PENDIDIKAN", "PEKERJAAN"),
        record_id=("ID_INDIVIDU",),
        description="P3KE family members.",
    ),
    SourceFile(
        key="regsosek_keluarga", source="regsosek", path="regsosek/keluarga.csv", delimiter=",",
        columns=("ID_KELUARGA", "NO_KK", "KODE_DESA", "JUMLAH_ART", *REGSOSEK_WELFARE_COLUMNS),
        record_id=("ID_KELUARGA",),
        description="BPS REGSOSEK 2022 families (near-census) with housing, assets, land and livestock.",
    ),
    SourceFile(
        key="regsosek_individu", source="regsosek", path="regsosek/individu.csv", delimiter=",",
        columns=("ID_KELUARGA", "NO_ART", "NIK", "NAMA", "JK", "TGL_LAHIR", "UMUR", "HUB_KK",
                 "PENDIDIKAN", "STATUS_BEKERJA", "LAPANGAN_USAHA", "KEDUDUKAN_KERJA", "DISABILITAS",
                 "PENYAKIT_KRONIS"),
        record_id=("ID_KELUARGA", "NO_ART"),
        description="BPS REGSOSEK 2022 family members; a record is ID_KELUARGA-NO_ART.",
    ),
    SourceFile(
        key="susenas_rumah_tangga", source="susenas", path="susenas/rumah_tangga.csv", delimiter=",",
        columns=("ID_RT", "KODE_KAB", "BOBOT", "PENGELUARAN_KAPITA", "JUMLAH_ART", "ART_BALITA",
                 "ART_SEKOLAH", "ART_LANSIA", "ART_DISABILITAS", "KRT_JK", "KRT_UMUR",
                 "KRT_PENDIDIKAN", "KRT_STATUS_BEKERJA", "KRT_LAPANGAN_USAHA", "KRT_KEDUDUKAN_KERJA",
                 *REGSOSEK_WELFARE_COLUMNS),
        record_id=("ID_RT",),
        description="BPS SUSENAS household sample with measured per-capita consumption (PMT training data).",
    ),
    SourceFile(
        key="verivali_musdes", source="verivali", path="verivali/*.csv", delimiter=",",
        columns=("NO_BA", "KODE_DESA", "TGL_MUSDES", "NIK", "NO_KK", "NAMA", "AKSI", "NIK_BARU",
                 "KETERANGAN"),
        record_id=(),
        description="Village meeting (musdes/muskel) decisions from every verivali/*.csv; zero or more files.",
        many_files=True, event_log=True,
    ),
    SourceFile(
        key="cekbansos_usul", source="cekbansos", path="cekbansos/usul.csv", delimiter=",",
        columns=("ID_USUL", "TGL_USUL", "NIK", "NO_KK", "NAMA", "KODE_DESA", "PROGRAM", "ALASAN"),
        record_id=("ID_USUL",),
        description="Cek Bansos proposals (usul): a citizen proposes themselves or their family for a program. "
                    "Optional: a drop without the cekbansos/ folder is valid.",
        optional=True, event_log=True,
    ),
    SourceFile(
        key="cekbansos_sanggah", source="cekbansos", path="cekbansos/sanggah.csv", delimiter=",",
        columns=("ID_SANGGAH", "TGL_SANGGAH", "NIK_PENYANGGAH", "NIK_SASARAN", "KODE_DESA", "ALASAN"),
        record_id=("ID_SANGGAH",),
        description="Cek Bansos objections (sanggah): a citizen objects to a listed beneficiary. "
                    "Optional: a drop without the cekbansos/ folder is valid.",
        optional=True, event_log=True,
    ),
)

SOURCE_FILES_BY_KEY: dict[str, SourceFile] = {f.key: f for f in SOURCE_FILES}
