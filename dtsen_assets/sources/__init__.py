"""The sources stage: reading one source file of a drop and loading it into `raw.<file>__staging`.

`files.py` reads a file's bytes, header and rows; `stage.py` stages one contract entry and returns what
it found (`StagedSource`), judging nothing: the raw checks (`dtsen_assets.checks.sources`) do that, and
the gate (`dtsen_assets.platform.gate`) publishes.
"""
