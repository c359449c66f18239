-- agbotkit schema version 2 on PostgreSQL with TimescaleDB: what the execution layer says
-- of orders and fills (the same columns as the other dialects' version 2).
--
-- orders gains one row per order status change (new, submitting, accepted,
-- partially_filled, filled, cancel_pending, canceled, rejected, expired, unknown) with the
-- order's lifetime and fill progress; fills gain the venue's trade id and settlement
-- status and our client order id. The unique keys, and so the compression settings (whose
-- segmentby and orderby columns cover them, with timestamp), do not change. TimescaleDB
-- adds a column to a hypertable with compressed chunks when it is nullable or has a
-- constant default, as each one here does. expires_at_ms is Unix epoch milliseconds
-- (NULL: not a GTD order).

ALTER TABLE orders ADD COLUMN order_type text NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN filled_size numeric NULL;
ALTER TABLE orders ADD COLUMN average_price numeric NULL;
ALTER TABLE orders ADD COLUMN expires_at_ms bigint NULL;
ALTER TABLE orders ADD COLUMN post_only boolean NOT NULL DEFAULT false;
ALTER TABLE orders ADD COLUMN previous_status text NOT NULL DEFAULT '';

ALTER TABLE fills ADD COLUMN trade_id text NOT NULL DEFAULT '';
ALTER TABLE fills ADD COLUMN trade_status text NOT NULL DEFAULT '';
ALTER TABLE fills ADD COLUMN client_order_id text NOT NULL DEFAULT '';
CREATE INDEX fills_client_order_id_idx ON fills (client_order_id);
