-- Heartland Retail's way of writing the sandbox's numbers (docs/heartland_retail.md): ids,
-- money as JSON numbers in major units, timestamps with milliseconds and an offset.
--
-- Every id is at most 12 digits: a run of 13 or more digits could pass the card-number scan's
-- Luhn test (sql/macros/card_numbers.sql) and block a healthy record.

-- Integer minor units as a JSON number in major units, written the way a JSON encoder writes a
-- decimal: 7295 -> 72.95, 1200 -> 12.0, 1250 -> 12.5, -5 -> -0.05. Digits come from integers
-- only, never through a binary float.
CREATE OR REPLACE MACRO money_json(p_minor) AS
    CASE WHEN p_minor < 0 THEN '-' ELSE '' END
    || (abs(p_minor) // 100)::VARCHAR || '.'
    || CASE
        WHEN abs(p_minor) % 10 = 0 THEN (abs(p_minor) % 100 // 10)::VARCHAR
        ELSE lpad((abs(p_minor) % 100)::VARCHAR, 2, '0')
    END;

-- A local wall-clock time (epoch ms read as UTC) with the store's offset: 2026-11-20T14:03:11.000-05:00.
CREATE OR REPLACE MACRO retail_time(p_local_ms, p_offset_text) AS
    strftime(epoch_ms(p_local_ms), '%Y-%m-%dT%H:%M:%S.%g') || p_offset_text;

-- Days since 2000-01-01 and weeks since Monday 2000-01-03 (date ordinals 730120 and 730122).
CREATE OR REPLACE MACRO retail_day_number() AS getvariable('day') - 730120;
CREATE OR REPLACE MACRO retail_week_number() AS (getvariable('day') - 730122) // 7;
-- Midnight UTC of a date ordinal, in epoch ms (1970-01-01 is ordinal 719163).
CREATE OR REPLACE MACRO ordinal_epoch_ms(p_ordinal) AS (p_ordinal - 719163) * 86400000;

-- Ticket ids: 10 million a day, so they stay unique across days in 11 digits until 2273; lines
-- and payments append one digit (a ticket holds at most 9 of each).
CREATE OR REPLACE MACRO retail_ticket_id(p_base, p_ticket_seq) AS
    retail_day_number() * 10000000 + p_base + p_ticket_seq;

-- Station n (1..6, the register R0n) of a location.
CREATE OR REPLACE MACRO retail_station_id(p_location_id, p_register) AS p_location_id * 10 + p_register;

-- Items and their grids (ids far from SKU numbers, so the two are not confused).
CREATE OR REPLACE MACRO retail_item_id(p_sku) AS 20000 + p_sku;
CREATE OR REPLACE MACRO retail_item_grid_id(p_grid) AS 300 + p_grid;

-- Payment types, in the order of getvariable('retail_payment_type_names'): Cash, one per card
-- brand (brand index + 1), Gift Card, Store Credit, Crypto.
CREATE OR REPLACE MACRO retail_card_payment_type_id(p_brand_index) AS 1 + p_brand_index;
CREATE OR REPLACE MACRO retail_payment_type_id(p_tender_type, p_store, p_card_slot) AS CASE p_tender_type
    WHEN 'CASH' THEN 1
    WHEN 'CARD' THEN retail_card_payment_type_id(card_brand_index(p_store, p_card_slot))
    WHEN 'GIFT_CARD' THEN getvariable('retail_payment_type_count') - 2
    WHEN 'STORE_CREDIT' THEN getvariable('retail_payment_type_count') - 1
    ELSE getvariable('retail_payment_type_count')
END;
CREATE OR REPLACE MACRO retail_payment_class(p_tender_type) AS CASE p_tender_type
    WHEN 'CASH' THEN 'Payments::CashPayment'
    WHEN 'CARD' THEN 'Payments::CreditCardPayment'
    WHEN 'GIFT_CARD' THEN 'Payments::GiftCardPayment'
    WHEN 'STORE_CREDIT' THEN 'Payments::StoreCreditPayment'
    ELSE 'Payments::CustomPayment'
END;

-- Customers: the walk-in customer CASH is id 1; a store-week's people are numbered 1..250 and
-- their duplicate records 301..550 and 601..850 (create_retail_customers.sql).
CREATE OR REPLACE MACRO retail_walk_in_customer_id() AS 1;
CREATE OR REPLACE MACRO retail_customer_id(p_week, p_location_id, p_number) AS
    p_week * 1000000 + p_location_id * 1000 + p_number;

-- A customer draw depends on the store and week, not the day, so every day of a week sees the
-- same people.
CREATE OR REPLACE MACRO customer_draw(p_location_id, p_number, p_salt, p_m) AS
    (hash(hash(getvariable('seed'), retail_week_number(), p_location_id, p_number, p_salt)) % p_m)::BIGINT;
