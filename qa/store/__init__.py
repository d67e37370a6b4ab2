"""Store: the index on disk, and what the ranker asks of it."""
