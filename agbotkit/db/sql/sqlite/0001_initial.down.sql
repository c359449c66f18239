-- Undo agbotkit schema version 1, SQLite: drop every table it created (their indexes go
-- with them). IF EXISTS: a table someone already dropped by hand must not block the rest.

DROP TABLE IF EXISTS market_frames;
DROP TABLE IF EXISTS positions;
DROP TABLE IF EXISTS fills;
DROP TABLE IF EXISTS orders;
DROP TABLE IF EXISTS metric_series;
DROP TABLE IF EXISTS metrics;
