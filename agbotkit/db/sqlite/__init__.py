"""The SQLite backend (:mod:`.backend`): writes, metric series and queries, one module each."""
