"""Names shared by every asset group."""

OWNER = "team:dtsen-data-engineering"
