"""Semester finalization (penetapan): snapshots of the current release in `final.*`, exported and verifiable.

    semester.py   semester names (`YYYY-S1`, `YYYY-S2`) and which one a schedule tick finalizes
    snapshot.py   finalize_semester: the one transaction that writes a semester (refuses a second time)
    perubahan.py  the change-log hook `build_perubahan(connection, semester, previous_semester)`
    export.py     Parquet files + manifest.json, and `verify_snapshot`
    __main__.py   `python -m dtsen_assets.finalize verify --semester 2026-S1`
"""
