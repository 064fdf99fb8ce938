from __future__ import annotations

import pandas as pd

from dtsen_assets.pii import mask_frame, mask_identifier, mask_text


def test_identifiers_keep_region_prefix_and_serial_only() -> None:
    assert mask_identifier("3204105508800002") == "3204********0002"
    assert mask_identifier("'320410550880") == "'320*****0880"
    assert mask_identifier("123") == "***"
    assert mask_identifier(None) is None


def test_text_keeps_first_letters_only() -> None:
    assert mask_text("SITI AMINAH") == "S*** A*****"
    assert mask_text("JL. MAWAR NO. 3") == "J*. M**** N*. *"
    assert mask_text("1980-08-15") == "****-**-**"


def test_frames_mask_personal_columns_and_keep_the_rest() -> None:
    frame = pd.DataFrame({"NIK": ["3204105508800002"], "nama": ["Siti"], "TGL_LHR": ["1980-08-15"],
                          "KODE_DESA": ["3204102001"], "desil": [1]})
    masked = mask_frame(frame)
    assert masked.loc[0, "NIK"] == "3204********0002"
    assert masked.loc[0, "nama"] == "S***"
    assert masked.loc[0, "TGL_LHR"] == "****-**-**"
    assert masked.loc[0, "KODE_DESA"] == "3204102001"
    assert frame.loc[0, "NIK"] == "3204105508800002"   # the input is not modified


def test_an_id_is_never_shown_beside_the_digits_of_a_nik() -> None:
    frame = pd.DataFrame({"person_id": ["P0123456789ABCDEF"], "nik": ["3204105508800002"],
                          "no_kk": ["3204100101200001"], "nama": ["Siti"]})
    masked = mask_frame(frame)
    assert masked.loc[0, "nik"] == masked.loc[0, "no_kk"] == "*" * 16
    assert masked.loc[0, "person_id"] == "P0123456789ABCDEF" and masked.loc[0, "nama"] == "S***"
