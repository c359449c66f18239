-- agbotkit schema version 1 on PostgreSQL (native partitioning, no TimescaleDB).
--
-- Every table is partitioned by range of `timestamp`, one partition per UTC day, named
-- <table>_pYYYYMMDD. There is deliberately no default partition: the backend creates each
-- day's partition before writing to it (and `maintain` creates the coming days'), and
-- retention drops whole partitions. Unique keys include `timestamp` because a partitioned
-- table requires the partitioning column in every unique key.
--
-- metric_name is COLLATE "C": byte order is code-point order (the order SQLite and Python
-- sort in), and LIKE 'prefix%' can use the index whatever the database's locale.

CREATE TABLE metrics (
    timestamp timestamptz NOT NULL,
    metric_name text COLLATE "C" NOT NULL,
    value double precision NOT NULL,
    labels jsonb NOT NULL DEFAULT '{}'
) PARTITION BY RANGE (timestamp);
CREATE INDEX metrics_metric_name_timestamp_idx ON metrics (metric_name, timestamp);

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
) PARTITION BY RANGE (timestamp);
CREATE INDEX orders_timestamp_idx ON orders (timestamp);
CREATE INDEX orders_market_timestamp_idx ON orders (market, timestamp);
CREATE INDEX orders_id_idx ON orders (id);

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
) PARTITION BY RANGE (timestamp);
CREATE INDEX fills_timestamp_idx ON fills (timestamp);
CREATE INDEX fills_order_id_idx ON fills (order_id);
CREATE INDEX fills_market_timestamp_idx ON fills (market, timestamp);

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
) PARTITION BY RANGE (timestamp);
CREATE INDEX positions_token_id_timestamp_idx ON positions (token_id, timestamp);
CREATE INDEX positions_timestamp_idx ON positions (timestamp);

CREATE TABLE market_frames (
    timestamp timestamptz NOT NULL,
    feed text NOT NULL,
    frame text NOT NULL
) PARTITION BY RANGE (timestamp);
CREATE INDEX market_frames_timestamp_idx ON market_frames (timestamp);
