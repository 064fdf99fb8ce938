from dtsen_assets.resources.duckdb import DuckDBWarehouse, WarehouseLockedError
from dtsen_assets.resources.reports import ReportsDirectory
from dtsen_assets.resources.source_drop import SourceDrop

__all__ = ["DuckDBWarehouse", "ReportsDirectory", "SourceDrop", "WarehouseLockedError"]
