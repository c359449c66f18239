-- agbotkit schema version 2, SQLite: what the execution layer says of orders and fills.
--
-- orders gains one row per order status change (new, submitting, accepted,
-- partially_filled, filled, cancel_pending, canceled, rejected, expired, unknown) with the
-- order's lifetime and fill progress; fills gain the venue's trade id and settlement
-- status and our client order id. Every new column has a default, so rows written by
-- version 1 stay valid. Decimals are TEXT (exact), booleans INTEGER 0/1, as in version 1;
-- expires_at_ms is Unix epoch milliseconds (NULL: not a GTD order).

ALTER TABLE orders ADD COLUMN order_type TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN filled_size TEXT;
ALTER TABLE orders ADD COLUMN average_price TEXT;
ALTER TABLE orders ADD COLUMN expires_at_ms INTEGER;
ALTER TABLE orders ADD COLUMN post_only INTEGER NOT NULL DEFAULT 0 CHECK (post_only IN (0, 1));
ALTER TABLE orders ADD COLUMN previous_status TEXT NOT NULL DEFAULT '';

ALTER TABLE fills ADD COLUMN trade_id TEXT NOT NULL DEFAULT '';
ALTER TABLE fills ADD COLUMN trade_status TEXT NOT NULL DEFAULT '';
ALTER TABLE fills ADD COLUMN client_order_id TEXT NOT NULL DEFAULT '';
CREATE INDEX fills_client_order_id ON fills (client_order_id);
