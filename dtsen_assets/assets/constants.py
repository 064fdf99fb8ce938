"""Names shared by every asset group."""

OWNER = "team:dtsen-data-engineering"

# Op tag of every step that opens the warehouse file: DuckDB allows one writer at a time, so the
# multiprocess job (dtsen_build_provinces) runs at most one such step at once; the unify shards,
# which open only their own files, run beside them.
WAREHOUSE_TAG = "dtsen/warehouse"
WAREHOUSE_STEP = {WAREHOUSE_TAG: "main"}
