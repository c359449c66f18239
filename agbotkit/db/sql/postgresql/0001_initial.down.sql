-- Undo agbotkit schema version 1 (PostgreSQL): dropping a partitioned table drops its
-- partitions.
DROP TABLE market_frames;
DROP TABLE positions;
DROP TABLE fills;
DROP TABLE orders;
DROP TABLE metric_series;
DROP TABLE metrics;
