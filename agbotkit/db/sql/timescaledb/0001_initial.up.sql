-- agbotkit schema version 1 on PostgreSQL with TimescaleDB.
--
-- The same tables, columns and indexes as the postgresql dialect, as hypertables with
-- one-day chunks instead of native daily partitions (TimescaleDB creates chunks as rows
-- arrive). create_hypertable's default time index is not created: the indexes below are
-- the same as on the other dialects. Chunks are compressed once 7 days old; the unique
-- keys' columns are segmentby or orderby columns (TimescaleDB before 2.11 refuses a
-- compression setting that leaves one out). The retention policies are the defaults;
-- `configure_retention` replaces them with the stack's.
--
-- metric_name is COLLATE "C": byte order is code-point order (the order SQLite and Python
-- sort in), and LIKE 'prefix%' can use the index whatever the database's locale.

CREATE EXTENSION IF NOT EXISTS timescaledb;

CREATE TABLE metrics (
    timestamp timestamptz NOT NULL,
    metric_name text COLLATE "C" NOT NULL,
    value double precision NOT NULL,
    labels jsonb NOT NULL DEFAULT '{}'
);
SELECT create_hypertable('metrics', 'timestamp',
    chunk_time_interval => INTERVAL '1 day', create_default_indexes => FALSE);
CREATE INDEX metrics_metric_name_timestamp_idx ON metrics (metric_name, timestamp);
ALTER TABLE metrics SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'metric_name',
    timescaledb.compress_orderby = 'timestamp DESC'
);
SELECT add_compression_policy('metrics', compress_after => INTERVAL '7 days');
SELECT add_retention_policy('metrics', drop_after => INTERVAL '90 days');

-- The series of each UTC day (day = Unix ms // 86,400,000), kept by write_metrics in the
-- write's transaction: queries find a name's series here, not by reading its rows (an index
-- on the jsonb labels of metrics would slow ingestion by about 40 %). See pg_series.py.
CREATE TABLE metric_series (
    metric_name text COLLATE "C" NOT NULL,
    labels jsonb NOT NULL,
    day integer NOT NULL,
    PRIMARY KEY (metric_name, day, labels)
);

CREATE TABLE orders (
    event_id text NOT NULL,
    id text NOT NULL,
    timestamp timestamptz NOT NULL,
    venue text NOT NULL,
    market text NOT NULL,
    token_id text NOT NULL,
    side text NOT NULL,
    price numeric NULL,
    size numeric NULL,
    status text NOT NULL,
    venue_order_id text NOT NULL DEFAULT '',
    strategy text NOT NULL DEFAULT '',
    reason text NOT NULL DEFAULT '',
    source text NOT NULL DEFAULT '',
    CONSTRAINT orders_event_id_timestamp_key UNIQUE (event_id, timestamp)
);
SELECT create_hypertable('orders', 'timestamp',
    chunk_time_interval => INTERVAL '1 day', create_default_indexes => FALSE);
CREATE INDEX orders_timestamp_idx ON orders (timestamp);
CREATE INDEX orders_market_timestamp_idx ON orders (market, timestamp);
CREATE INDEX orders_id_idx ON orders (id);
ALTER TABLE orders SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'market',
    timescaledb.compress_orderby = 'timestamp DESC, event_id'
);
SELECT add_compression_policy('orders', compress_after => INTERVAL '7 days');
SELECT add_retention_policy('orders', drop_after => INTERVAL '365 days');

CREATE TABLE fills (
    id text NOT NULL,
    timestamp timestamptz NOT NULL,
    order_id text NOT NULL,
    venue text NOT NULL,
    market text NOT NULL,
    token_id text NOT NULL,
    side text NOT NULL,
    price numeric NOT NULL,
    size numeric NOT NULL,
    fee numeric NULL,
    taker boolean NOT NULL,
    source text NOT NULL DEFAULT '',
    CONSTRAINT fills_id_timestamp_key UNIQUE (id, timestamp)
);
SELECT create_hypertable('fills', 'timestamp',
    chunk_time_interval => INTERVAL '1 day', create_default_indexes => FALSE);
CREATE INDEX fills_timestamp_idx ON fills (timestamp);
CREATE INDEX fills_order_id_idx ON fills (order_id);
CREATE INDEX fills_market_timestamp_idx ON fills (market, timestamp);
ALTER TABLE fills SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'market',
    timescaledb.compress_orderby = 'timestamp DESC, id'
);
SELECT add_compression_policy('fills', compress_after => INTERVAL '7 days');
SELECT add_retention_policy('fills', drop_after => INTERVAL '365 days');

CREATE TABLE positions (
    timestamp timestamptz NOT NULL,
    source text NOT NULL,
    token_id text NOT NULL,
    market text NOT NULL,
    size numeric NOT NULL,
    cost_basis_usd numeric NOT NULL,
    realised_pnl_usd numeric NOT NULL,
    fees_usd numeric NOT NULL,
    mark numeric NOT NULL,
    settled boolean NOT NULL,
    CONSTRAINT positions_source_token_id_timestamp_key UNIQUE (source, token_id, timestamp)
);
SELECT create_hypertable('positions', 'timestamp',
    chunk_time_interval => INTERVAL '1 day', create_default_indexes => FALSE);
CREATE INDEX positions_token_id_timestamp_idx ON positions (token_id, timestamp);
CREATE INDEX positions_timestamp_idx ON positions (timestamp);
ALTER TABLE positions SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'source, token_id',
    timescaledb.compress_orderby = 'timestamp DESC'
);
SELECT add_compression_policy('positions', compress_after => INTERVAL '7 days');
SELECT add_retention_policy('positions', drop_after => INTERVAL '365 days');

CREATE TABLE market_frames (
    timestamp timestamptz NOT NULL,
    feed text NOT NULL,
    frame text NOT NULL
);
SELECT create_hypertable('market_frames', 'timestamp',
    chunk_time_interval => INTERVAL '1 day', create_default_indexes => FALSE);
CREATE INDEX market_frames_timestamp_idx ON market_frames (timestamp);
ALTER TABLE market_frames SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'feed',
    timescaledb.compress_orderby = 'timestamp DESC'
);
SELECT add_compression_policy('market_frames', compress_after => INTERVAL '7 days');
SELECT add_retention_policy('market_frames', drop_after => INTERVAL '30 days');
