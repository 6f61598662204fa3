-- The sandbox's randomness and its world model, as macros over (store, slot).
--
-- A slot is one gateway transaction of one store and business day. Every attribute of a slot
-- is a pure function of (seed, day, store_idx, slot, salt) through hash(), so a day is the same
-- whatever the thread count, and a slot's attributes can be recomputed anywhere (a refund reads
-- its original sale's basket and card without a join).
--
-- Variables set by day_build.py: seed, day (date ordinal), slots_per_store, day_text (YYYYMMDD),
-- deposit_date, catalog_*, brand_*, cardholder_*, and the defect texts of defects.py. List
-- lengths come as *_count variables: len(getvariable(...)) is evaluated per row.

-- A well-mixed 64-bit value of its arguments. DuckDB's multi-argument hash() XORs the last
-- argument's hash into the mix of the others, so hash(x, 'a') XOR hash(x, 'b') is the same for
-- every x; hashing the result again makes draws under different salts independent.
CREATE OR REPLACE MACRO mixed_hash(p_a, p_b, p_c, p_d) AS
    hash(hash(getvariable('seed'), getvariable('day'), p_a, p_b, p_c, p_d));

-- Uniform integer in [0, m).
CREATE OR REPLACE MACRO draw(p_store, p_slot, p_salt, p_m) AS
    (mixed_hash(p_store, p_slot, 0, p_salt) % p_m)::BIGINT;

CREATE OR REPLACE MACRO draw_line(p_store, p_slot, p_line, p_salt, p_m) AS
    (mixed_hash(p_store, p_slot, p_line, p_salt) % p_m)::BIGINT;

-- 32 uppercase hex digits; ids take a prefix of it. OR-ing 0xA0000000000A0000 into each half
-- makes digits 1, 12, 17 and 28 one of A, B, E, F: to_hex() always yields 16 digits, and no id
-- holds a run of more than 10 decimal digits that a card-number scanner could take for a PAN.
CREATE OR REPLACE MACRO hex32(p_store, p_slot, p_salt) AS
    to_hex(mixed_hash(p_store, p_slot, 1, p_salt) | 11529215046069125120::UBIGINT)
    || to_hex(mixed_hash(p_store, p_slot, 2, p_salt) | 11529215046069125120::UBIGINT);

-- Timestamps are carried as epoch milliseconds; local ones as "local wall clock read as UTC".
CREATE OR REPLACE MACRO utc_text(p_ms) AS strftime(epoch_ms(p_ms), '%Y-%m-%dT%H:%M:%S.%gZ');
CREATE OR REPLACE MACRO local_text(p_local_ms, p_offset_text) AS
    strftime(epoch_ms(p_local_ms), '%Y-%m-%dT%H:%M:%S') || p_offset_text;

-- Trading hours: 08:00 to 21:00 local, so every event's local date is unambiguous.
CREATE OR REPLACE MACRO trading_opens_ms() AS 8 * 3600 * 1000;
CREATE OR REPLACE MACRO trading_span_ms() AS 13 * 3600 * 1000;
CREATE OR REPLACE MACRO slot_width_ms() AS
    greatest(1, trading_span_ms() // getvariable('slots_per_store'))::BIGINT;

-- What a slot is before neighbours are looked at (per 10 000): 2 % declined, 0.3 % auth left
-- uncaptured, 0.3 % auth reversed, 1 % sale voided, 4 % refund, the rest captured sales.
CREATE OR REPLACE MACRO base_kind(p_store, p_slot) AS (
    CASE
        WHEN draw(p_store, p_slot, 'kind', 10000) < 200 THEN 'declined'
        WHEN draw(p_store, p_slot, 'kind', 10000) < 230 THEN 'preauth'
        WHEN draw(p_store, p_slot, 'kind', 10000) < 260 THEN 'preauth_reversed'
        WHEN draw(p_store, p_slot, 'kind', 10000) < 360 THEN 'void'
        WHEN draw(p_store, p_slot, 'kind', 10000) < 760 THEN 'refund'
        ELSE 'sale'
    END);

-- A two-card ticket pays with slots (odd - 1, odd): about 4 % of eligible pairs.
CREATE OR REPLACE MACRO second_card_of_split(p_store, p_slot) AS (
    p_slot % 2 = 1
    AND p_slot < getvariable('slots_per_store')
    AND base_kind(p_store, p_slot) = 'sale'
    AND base_kind(p_store, p_slot - 1) = 'sale'
    AND draw(p_store, p_slot, 'split', 10000) < 400);

CREATE OR REPLACE MACRO in_split(p_store, p_slot) AS (
    second_card_of_split(p_store, p_slot) OR second_card_of_split(p_store, p_slot + 1));

-- How a plain sale ticket is paid: card only, or a gift card / store credit plus a card.
CREATE OR REPLACE MACRO ticket_mix(p_store, p_slot) AS (
    CASE
        WHEN draw(p_store, p_slot, 'mix', 100) < 6 THEN 'GIFT_CARD'
        WHEN draw(p_store, p_slot, 'mix', 100) < 11 THEN 'STORE_CREDIT'
        ELSE 'CARD'
    END);

-- A refund goes back to an earlier card-only, unsplit sale of the same store and day.
CREATE OR REPLACE MACRO refundable(p_store, p_slot) AS (
    p_slot >= 0
    AND base_kind(p_store, p_slot) = 'sale'
    AND NOT in_split(p_store, p_slot)
    AND ticket_mix(p_store, p_slot) = 'CARD');

CREATE OR REPLACE MACRO ticket_id_text(p_store_id, p_seq) AS
    'TKT-' || p_store_id || '-' || getvariable('day_text') || '-'
    || lpad(p_seq::VARCHAR, greatest(6, length(p_seq::VARCHAR))::INTEGER, '0');

-- Ids are rendered from a record's numeric key wherever they are needed, never stored. Event ids
-- hash (store, slot, ordinal), so a redelivered line carries the same id.
CREATE OR REPLACE MACRO trn_id(p_store, p_slot) AS 'TRN_' || hex32(p_store, p_slot, 'trn')[1:30];
-- A transaction event's id is its transaction id and status, a batch's its batch id and status,
-- as heartland/events.py derives them from a resource, so the same event pulled from the
-- simulator or posted to the receiver lands under the same id.
CREATE OR REPLACE MACRO action_id_hex(p_store, p_slot, p_event_no) AS
    hex32(p_store, 4 * p_slot + p_event_no, 'action')[1:30];
CREATE OR REPLACE MACRO transaction_status(p_kind, p_event_no) AS CASE
    WHEN p_event_no = 2 THEN 'REVERSED'
    WHEN p_kind = 'declined' THEN 'DECLINED'
    WHEN p_kind IN ('preauth', 'preauth_reversed') THEN 'PREAUTHORIZED'
    ELSE 'CAPTURED'
END;
CREATE OR REPLACE MACRO transaction_event_id(p_store, p_slot, p_status) AS
    'EVT_' || trn_id(p_store, p_slot)[5:] || '_' || p_status;
CREATE OR REPLACE MACRO ticket_event_id(p_store, p_slot, p_ordinal) AS
    'EVT_' || hex32(p_store, 2 * p_slot + p_ordinal, 'ticket_event');
CREATE OR REPLACE MACRO batch_event_id(p_batch_id) AS 'EVT_' || p_batch_id[5:] || '_CLOSED';

-- Sales tax: rate in parts per million, rounded half up per line (amounts are never negative).
CREATE OR REPLACE MACRO tax_on(p_net, p_rate_ppm) AS (p_net * p_rate_ppm + 500000) // 1000000;

CREATE OR REPLACE MACRO basket_size(p_store, p_slot, p_salt) AS 1 + draw(p_store, p_slot, p_salt || ':size', 4);

-- A basket is built in stages, each a list_transform over the previous one, so every draw and
-- price lookup is evaluated once per line. Stage 1 draws a line's choices: SKU, quantity (70 %
-- one, 20 % two, 10 % three) and, for 12 % of lines, a 5-25 % discount.
CREATE OR REPLACE MACRO basket_draws(p_store, p_slot, p_salt, p_lines) AS list_transform(p_lines, lambda k: struct_pack(
    line_number := k,
    sku := draw_line(p_store, p_slot, k, p_salt || ':sku', getvariable('catalog_size')),
    quantity_draw := draw_line(p_store, p_slot, k, p_salt || ':qty', 10),
    discount_draw := draw_line(p_store, p_slot, k, p_salt || ':disc', 100),
    percent_draw := draw_line(p_store, p_slot, k, p_salt || ':pct', 5)));

CREATE OR REPLACE MACRO basket_choices(p_draws) AS list_transform(p_draws, lambda d: struct_pack(
    line_number := d.line_number,
    sku := d.sku,
    quantity := CASE WHEN d.quantity_draw < 7 THEN 1 WHEN d.quantity_draw < 9 THEN 2 ELSE 3 END::BIGINT,
    unit_price := getvariable('catalog_prices')[1 + d.sku],
    unit_cost := getvariable('catalog_costs')[1 + d.sku],
    discount_percent := CASE WHEN d.discount_draw < 12 THEN [5, 10, 15, 20, 25][1 + d.percent_draw] ELSE 0 END::BIGINT));

-- The discount of a line is floor(quantity * unit_price * percent / 100).
CREATE OR REPLACE MACRO discounted(p_choices) AS list_transform(p_choices, lambda c: struct_pack(
    line_number := c.line_number,
    sku := c.sku,
    quantity := c.quantity,
    unit_price := c.unit_price,
    unit_cost := c.unit_cost,
    discount_amount := c.quantity * c.unit_price * c.discount_percent // 100));

-- The priced ticket lines; integer minor units throughout.
CREATE OR REPLACE MACRO taxed(p_discounted, p_tax_code, p_rate_ppm) AS list_transform(p_discounted, lambda c: struct_pack(
    line_number := c.line_number,
    sku := c.sku,
    quantity := c.quantity,
    unit_price := c.unit_price,
    discount_amount := c.discount_amount,
    tax_code := p_tax_code,
    tax_amount := tax_on(c.quantity * c.unit_price - c.discount_amount, p_rate_ppm),
    unit_cost := c.unit_cost,
    line_total := c.quantity * c.unit_price - c.discount_amount
        + tax_on(c.quantity * c.unit_price - c.discount_amount, p_rate_ppm)));

CREATE OR REPLACE MACRO basket_lines(p_store, p_slot, p_salt, p_tax_code, p_rate_ppm) AS taxed(
    discounted(basket_choices(basket_draws(p_store, p_slot, p_salt, range(1, basket_size(p_store, p_slot, p_salt) + 1)))),
    p_tax_code, p_rate_ppm);

-- A return takes back one unit of the original ticket's first line, with its share of that
-- line's discount (rounded down) and the tax recomputed by the same rule.
CREATE OR REPLACE MACRO return_lines(p_store, p_original_slot, p_tax_code, p_rate_ppm) AS taxed(
    list_transform(discounted(basket_choices(basket_draws(p_store, p_original_slot, 'card', [1]))), lambda c: struct_pack(
        line_number := c.line_number,
        sku := c.sku,
        quantity := 1::BIGINT,
        unit_price := c.unit_price,
        unit_cost := c.unit_cost,
        discount_amount := c.discount_amount // c.quantity)),
    p_tax_code, p_rate_ppm);

CREATE OR REPLACE MACRO lines_total(p_lines) AS list_sum(list_transform(p_lines, lambda l: l.line_total))::BIGINT;

-- Tips on 12 % of card sale payments: 10/15/18/20 % of the tender, rounded half up.
CREATE OR REPLACE MACRO tip_on(p_store, p_slot, p_amount) AS CASE
    WHEN draw(p_store, p_slot, 'tip', 100) < 12
    THEN (p_amount * [10, 15, 18, 20][1 + draw(p_store, p_slot, 'tip_pct', 4)] + 50) // 100
    ELSE 0 END::BIGINT;

-- The card a slot pays with (a refund passes its original sale's slot): brand_pick lists each
-- brand's index once per thousandth of its share (card_brands.py).
CREATE OR REPLACE MACRO card_brand_index(p_store, p_card_slot) AS
    getvariable('brand_pick')[1 + draw(p_store, p_card_slot, 'brand', 1000)];
-- brand_bins holds 12 BINs per brand (a brand's list repeated), so one draw picks any of them.
CREATE OR REPLACE MACRO card_masked_number(p_store, p_card_slot, p_brand_index) AS
    getvariable('brand_bins')[(p_brand_index - 1) * 12 + 1 + draw(p_store, p_card_slot, 'bin', 12)]
    || getvariable('brand_masks')[p_brand_index]
    || lpad(draw(p_store, p_card_slot, 'last4', 10000)::VARCHAR, 4, '0');
CREATE OR REPLACE MACRO card_funding(p_store, p_card_slot, p_brand) AS CASE
    WHEN p_brand <> 'AMEX' AND draw(p_store, p_card_slot, 'funding', 100) < 25 THEN 'DEBIT'
    ELSE 'CREDIT' END;
CREATE OR REPLACE MACRO card_token(p_store, p_card_slot) AS 'PMT_' || hex32(p_store, p_card_slot, 'token');
-- The cardholder as a JSON string (the generator JSON-encodes the names list).
CREATE OR REPLACE MACRO cardholder_name_json(p_store, p_card_slot) AS CASE
    WHEN draw(p_store, p_card_slot, 'name', 100) < 40 THEN '"NAME NOT PROVIDED"'
    ELSE getvariable('cardholder_names_json')[1 + draw(p_store, p_card_slot, 'holder', getvariable('cardholder_name_count'))]
    END;
CREATE OR REPLACE MACRO entry_mode(p_store, p_slot) AS CASE
    WHEN draw(p_store, p_slot, 'entry', 100) < 55 THEN 'CONTACTLESS_CHIP'
    WHEN draw(p_store, p_slot, 'entry', 100) < 90 THEN 'CHIP'
    WHEN draw(p_store, p_slot, 'entry', 100) < 97 THEN 'SWIPE'
    ELSE 'MANUAL' END;
-- The register (1-6) a ticket is rung up on, unless the ticket names one (tickets.register).
CREATE OR REPLACE MACRO ticket_register(p_store, p_slot, p_ordinal) AS
    1 + draw(p_store, 2 * p_slot + p_ordinal, 'register', 6);
CREATE OR REPLACE MACRO authcode(p_store, p_slot) AS
    to_hex(16777216 + draw(p_store, p_slot, 'authcode', 16777216))[2:];

-- A void goes through 1-10 minutes after the sale; an authorisation is reversed within the hour.
CREATE OR REPLACE MACRO void_local_ms(p_store, p_slot, p_local_ms) AS
    p_local_ms + 60000 + draw(p_store, p_slot, 'void_after', 540000);
CREATE OR REPLACE MACRO reversal_local_ms(p_store, p_slot, p_local_ms) AS
    p_local_ms + 60000 + draw(p_store, p_slot, 'reversal_after', 3540000);

-- Defects (defects.py): the text around an injected PAN, how late a late event is, how far a
-- mismatched batch is off. `p_pick` is the defect's hash.
CREATE OR REPLACE MACRO free_text_with_pan(p_pick) AS replace(
    getvariable('free_text_templates')[1 + (p_pick % getvariable('free_text_template_count'))::BIGINT],
    '{pan}',
    getvariable('pan_texts')[1 + (p_pick // 7 % getvariable('pan_text_count'))::BIGINT]);
CREATE OR REPLACE MACRO free_text_pan_label(p_pick) AS
    getvariable('pan_labels')[1 + (p_pick // 7 % getvariable('pan_text_count'))::BIGINT];
CREATE OR REPLACE MACRO late_delay_ms(p_pick) AS (18 * 3600 * 1000 + p_pick % (30 * 3600 * 1000))::BIGINT;
CREATE OR REPLACE MACRO mismatch_delta(p_pick, p_sales_amount) AS CASE
    WHEN (p_pick // 5000) % 2 = 1 AND p_sales_amount > 1 + (p_pick % 5000)::BIGINT THEN -(1 + (p_pick % 5000)::BIGINT)
    ELSE 1 + (p_pick % 5000)::BIGINT
END;
