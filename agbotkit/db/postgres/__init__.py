"""The PostgreSQL / TimescaleDB backend (:mod:`.backend`): connection, daily partitions,
binary COPY of metrics, writes, the series catalog, downsampling, queries and upkeep."""
