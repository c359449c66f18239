-- Undo agbotkit schema version 1 (TimescaleDB): dropping a hypertable drops its chunks,
-- compressed data and policies. The extension stays: other schemas may use it.
DROP TABLE market_frames;
DROP TABLE positions;
DROP TABLE fills;
DROP TABLE orders;
DROP TABLE metric_series;
DROP TABLE metrics;
