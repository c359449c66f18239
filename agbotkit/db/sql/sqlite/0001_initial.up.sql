-- agbotkit schema version 1, SQLite: the five storage tables (see agbotkit/storage/records.py).
-- Times are Unix epoch milliseconds (INTEGER). Decimals are TEXT holding str(Decimal), so
-- they read back exactly (a NUMERIC column would turn them into binary floats). Booleans are
-- INTEGER 0/1. Labels are canonical JSON (sorted keys, no spaces). STRICT makes SQLite refuse
-- a value of the wrong type instead of storing it as whatever it is.
-- The unique keys include timestamp to match PostgreSQL, whose partitioned tables and
-- hypertables require the partitioning column in every unique key.

CREATE TABLE metrics (
    timestamp   INTEGER NOT NULL,
    metric_name TEXT    NOT NULL,
    value       REAL    NOT NULL,
    labels      TEXT    NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX metrics_name_timestamp ON metrics (metric_name, timestamp);

-- The series of each UTC day (day = Unix ms // 86,400,000), kept by write_metrics in the
-- write's transaction: queries find a name's series here instead of reading the labels of
-- every row in range (they are not in the index). See sqlite_series.py.
CREATE TABLE metric_series (
    metric_name TEXT    NOT NULL,
    labels      TEXT    NOT NULL,
    day         INTEGER NOT NULL,
    PRIMARY KEY (metric_name, day, labels)
) STRICT, WITHOUT ROWID;

CREATE TABLE orders (
    event_id       TEXT    NOT NULL,
    id             TEXT    NOT NULL,
    timestamp      INTEGER NOT NULL,
    venue          TEXT    NOT NULL,
    market         TEXT    NOT NULL,
    token_id       TEXT    NOT NULL,
    side           TEXT    NOT NULL,
    price          TEXT,
    size           TEXT,
    status         TEXT    NOT NULL,
    venue_order_id TEXT    NOT NULL DEFAULT '',
    strategy       TEXT    NOT NULL DEFAULT '',
    reason         TEXT    NOT NULL DEFAULT '',
    source         TEXT    NOT NULL DEFAULT '',
    UNIQUE (event_id, timestamp)
) STRICT;
CREATE INDEX orders_timestamp ON orders (timestamp);
CREATE INDEX orders_market_timestamp ON orders (market, timestamp);
CREATE INDEX orders_id ON orders (id);

CREATE TABLE fills (
    id        TEXT    NOT NULL,
    timestamp INTEGER NOT NULL,
    order_id  TEXT    NOT NULL,
    venue     TEXT    NOT NULL,
    market    TEXT    NOT NULL,
    token_id  TEXT    NOT NULL,
    side      TEXT    NOT NULL,
    price     TEXT    NOT NULL,
    size      TEXT    NOT NULL,
    fee       TEXT,
    taker     INTEGER NOT NULL CHECK (taker IN (0, 1)),
    source    TEXT    NOT NULL DEFAULT '',
    UNIQUE (id, timestamp)
) STRICT;
CREATE INDEX fills_timestamp ON fills (timestamp);
CREATE INDEX fills_order_id ON fills (order_id);
CREATE INDEX fills_market_timestamp ON fills (market, timestamp);

CREATE TABLE positions (
    timestamp        INTEGER NOT NULL,
    source           TEXT    NOT NULL,
    token_id         TEXT    NOT NULL,
    market           TEXT    NOT NULL,
    size             TEXT    NOT NULL,
    cost_basis_usd   TEXT    NOT NULL,
    realised_pnl_usd TEXT    NOT NULL,
    fees_usd         TEXT    NOT NULL,
    mark             TEXT    NOT NULL,
    settled          INTEGER NOT NULL CHECK (settled IN (0, 1)),
    UNIQUE (source, token_id, timestamp)
) STRICT;
CREATE INDEX positions_token_id_timestamp ON positions (token_id, timestamp);
CREATE INDEX positions_timestamp ON positions (timestamp);

CREATE TABLE market_frames (
    timestamp INTEGER NOT NULL,
    feed      TEXT    NOT NULL,
    frame     TEXT    NOT NULL
) STRICT;
CREATE INDEX market_frames_timestamp ON market_frames (timestamp);
