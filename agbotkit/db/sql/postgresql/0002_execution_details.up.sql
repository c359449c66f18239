-- agbotkit schema version 2 on PostgreSQL (native partitioning): what the execution layer
-- says of orders and fills.
--
-- orders gains one row per order status change (new, submitting, accepted,
-- partially_filled, filled, cancel_pending, canceled, rejected, expired, unknown) with the
-- order's lifetime and fill progress; fills gain the venue's trade id and settlement
-- status and our client order id. A column added to a partitioned table is added to every
-- partition. Every new column has a default, so rows written by version 1 stay valid and
-- no partition is rewritten. expires_at_ms is Unix epoch milliseconds (NULL: not a GTD
-- order). The unique keys do not change.

ALTER TABLE orders
    ADD COLUMN order_type text NOT NULL DEFAULT '',
    ADD COLUMN filled_size numeric NULL,
    ADD COLUMN average_price numeric NULL,
    ADD COLUMN expires_at_ms bigint NULL,
    ADD COLUMN post_only boolean NOT NULL DEFAULT false,
    ADD COLUMN previous_status text NOT NULL DEFAULT '';

ALTER TABLE fills
    ADD COLUMN trade_id text NOT NULL DEFAULT '',
    ADD COLUMN trade_status text NOT NULL DEFAULT '',
    ADD COLUMN client_order_id text NOT NULL DEFAULT '';
CREATE INDEX fills_client_order_id_idx ON fills (client_order_id);
