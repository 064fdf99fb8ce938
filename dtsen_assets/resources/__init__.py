from dtsen_assets.resources.duckdb import DuckDBWarehouse, WarehouseLockedError
from dtsen_assets.resources.source_drop import SourceDrop

__all__ = ["DuckDBWarehouse", "SourceDrop", "WarehouseLockedError"]
