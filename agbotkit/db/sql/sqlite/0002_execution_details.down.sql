-- Undo agbotkit schema version 2, SQLite: drop the columns it added (their values go;
-- the rows stay). Order rows of the execution layer's statuses stay too, with version 1's
-- columns.

DROP INDEX IF EXISTS fills_client_order_id;
ALTER TABLE fills DROP COLUMN client_order_id;
ALTER TABLE fills DROP COLUMN trade_status;
ALTER TABLE fills DROP COLUMN trade_id;

ALTER TABLE orders DROP COLUMN previous_status;
ALTER TABLE orders DROP COLUMN post_only;
ALTER TABLE orders DROP COLUMN expires_at_ms;
ALTER TABLE orders DROP COLUMN average_price;
ALTER TABLE orders DROP COLUMN filled_size;
ALTER TABLE orders DROP COLUMN order_type;
