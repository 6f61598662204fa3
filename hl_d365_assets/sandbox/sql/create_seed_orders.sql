-- seed_orders: the D365 sales orders the sandbox may pay, each with the store that takes its
-- payment (order_payments.py fills it; create_order_payments.sql pays them).
CREATE OR REPLACE TABLE seed_orders (
    position BIGINT, legal_entity VARCHAR, order_number VARCHAR, currency VARCHAR,
    total_minor BIGINT, store_id VARCHAR);
