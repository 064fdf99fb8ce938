from dtsen_assets.resources.duckdb import DuckDBWarehouse, WarehouseLockedError
from dtsen_assets.resources.models import ModelStore
from dtsen_assets.resources.reports import ReportsDirectory
from dtsen_assets.resources.source_drop import DropInbox, SourceDrop

__all__ = ["DropInbox", "DuckDBWarehouse", "ModelStore", "ReportsDirectory", "SourceDrop", "WarehouseLockedError"]
