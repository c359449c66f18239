-- Undo agbotkit schema version 2 on PostgreSQL: drop the columns it added (their values
-- go; the rows stay, and their index goes with them).

ALTER TABLE fills
    DROP COLUMN client_order_id,
    DROP COLUMN trade_status,
    DROP COLUMN trade_id;

ALTER TABLE orders
    DROP COLUMN previous_status,
    DROP COLUMN post_only,
    DROP COLUMN expires_at_ms,
    DROP COLUMN average_price,
    DROP COLUMN filled_size,
    DROP COLUMN order_type;
