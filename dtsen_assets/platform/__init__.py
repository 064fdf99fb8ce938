"""What every stage shares: running named SQL (`sql.py`), the canonical welfare variables
(`vocabulary.py`) and the reference data shipped with the package (`reference.py`).

Stage packages (sources, staging, unify, welfare, program, finalize) import from here; nothing here
imports a stage package.
"""
