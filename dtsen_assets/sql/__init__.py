"""Named SQL queries: each non-trivial query lives in `sql/<group>/<name>.sql`.

They are read and run by `dtsen_assets.platform.sql` (`run_sql(connection, "<group>/<name>", ...)`).
"""
