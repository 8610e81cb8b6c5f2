"""Getting items in: parsing feeds (and, with the pollers, fetching them)."""
