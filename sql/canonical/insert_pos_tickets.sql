-- Build canonical.pos_sales, pos_sale_lines and pos_tenders for business days $first..$last from
-- the latest version of each ticket. The three share one staged, mapped ticket set.
CREATE OR REPLACE TEMP TABLE latest_pos_tickets AS
WITH window_tickets AS (
    SELECT * FROM raw.pos_tickets WHERE business_date BETWEEN $first AND $last
),
-- A ticket normally arrives once; only re-sent tickets need ordering.
resent AS (
    SELECT business_date, ticket_id FROM window_tickets GROUP BY ALL HAVING count(*) > 1
),
superseded AS (
    SELECT segment_path, line_number
    FROM window_tickets
    SEMI JOIN resent USING (business_date, ticket_id)
    QUALIFY row_number() OVER (
        PARTITION BY business_date, ticket_id
        ORDER BY received_at DESC, segment_path DESC, line_number DESC
    ) > 1
),
latest AS (
    SELECT * FROM window_tickets ANTI JOIN superseded USING (segment_path, line_number)
),
-- Store, currency and rate facts per store, currency and day, computed once per day.
store_days AS (
    SELECT
        d.business_date, d.store_id, d.currency,
        s.legal_entity, s.timezone, le.base_currency, c.minor_unit_exponent AS e,
        timezone(s.timezone, CAST(d.business_date + 1 AS TIMESTAMP)) AS day_ends_at
    FROM (SELECT DISTINCT business_date, store_id, currency FROM latest) AS d
    LEFT JOIN ref.stores AS s ON s.store_id = d.store_id
    LEFT JOIN ref.legal_entities AS le ON le.legal_entity = s.legal_entity
    LEFT JOIN ref.currencies AS c ON c.currency = d.currency
),
store_day_rates AS (
    SELECT sd.*, fx.rate AS fx_rate
    FROM store_days AS sd
    ASOF LEFT JOIN ref.fx_rates AS fx
        ON fx.from_currency = sd.currency AND fx.to_currency = sd.base_currency
       AND sd.business_date >= fx.rate_date
),
mapped AS (
    SELECT
        t.*,
        sd.legal_entity, sd.timezone, sd.base_currency, sd.e, sd.fx_rate, sd.day_ends_at,
        timezone(sd.timezone, t.closed_at) AS local_closed_at,
        st.status_code, st.is_financial,
        CASE WHEN t.ticket_type = 'RETURN' THEN -1 ELSE 1 END AS sign
    FROM latest AS t
    LEFT JOIN store_day_rates AS sd USING (business_date, store_id, currency)
    LEFT JOIN ref.transaction_statuses AS st
        ON st.source_field = 'pos_ticket_status' AND st.source_value = upper(t.status)
)
SELECT
    m.* EXCLUDE (day_ends_at),
    coalesce(m.received_at > m.day_ends_at, false) AS is_late,
    nullif(concat_ws('; ',
        CASE WHEN m.legal_entity IS NULL THEN 'unknown_store: store_id "' || m.store_id || '" is not in mappings/stores.csv' END,
        CASE WHEN m.status_code IS NULL THEN 'unmapped_status: ticket status "' || m.status || '" is not in mappings/transaction_statuses.csv' END,
        CASE WHEN m.e IS NULL OR m.e > 2
             THEN 'unsupported_currency: "' || m.currency || '" is not in mappings/currencies.csv with an exponent of 0-2' END,
        CASE WHEN m.legal_entity IS NOT NULL AND m.fx_rate IS NULL
             THEN 'missing_fx_rate: no ' || m.currency || '->' || coalesce(m.base_currency, '?') || ' rate on or before ' || m.business_date END,
        CASE WHEN m.legal_entity IS NOT NULL AND CAST(m.local_closed_at AS DATE) <> m.business_date
             THEN 'wrong_business_day: local date ' || CAST(m.local_closed_at AS DATE) || ' landed under ' || m.business_date END
    ), '') AS ticket_issue
FROM mapped AS m;

INSERT INTO canonical.pos_sales BY NAME
SELECT
    business_date, ticket_id, store_id, legal_entity, register_id, cashier_id, ticket_type,
    status AS ticket_status, status_code, is_financial, original_ticket_id, currency,
    sign * minor_to_amount(subtotal, e) AS subtotal,
    sign * minor_to_amount(discount_total, e) AS discount_total,
    sign * minor_to_amount(tax_total, e) AS tax_total,
    sign * minor_to_amount(total, e) AS total,
    sign * minor_to_amount(coalesce(list_sum(list_transform(tenders, lambda t: t.amount)), 0), e) AS tendered_total,
    sign * minor_to_amount(coalesce(list_sum(list_transform(tenders, lambda t: t.tip_amount)), 0), e) AS tip_total,
    len(lines) AS line_count,
    len(tenders) AS tender_count,
    base_currency, fx_rate,
    to_base_amount(sign * minor_to_amount(total, e), fx_rate) AS base_total,
    opened_at, closed_at, local_closed_at, received_at, is_late,
    ticket_issue AS mapping_issue,
    event_id AS source_event_id,
    segment_path AS source_segment_path,
    line_number AS source_line_number
FROM latest_pos_tickets;

INSERT INTO canonical.pos_sale_lines BY NAME
WITH ticket_lines AS (
    SELECT business_date, ticket_id, store_id, ticket_type, is_financial, currency, e, sign,
           fx_rate, ticket_issue, unnest(lines) AS l
    FROM latest_pos_tickets
)
SELECT
    tl.business_date, tl.ticket_id, tl.l.line_number, tl.store_id, tl.ticket_type, tl.is_financial,
    tl.l.sku, tl.l.description,
    tl.sign * tl.l.quantity AS quantity,
    tl.currency,
    minor_to_amount(tl.l.unit_price, tl.e) AS unit_price,
    tl.sign * minor_to_amount(tl.l.discount_amount, tl.e) AS discount_amount,
    tl.l.tax_code,
    tc.d365_sales_tax_code,
    tl.sign * minor_to_amount(tl.l.tax_amount, tl.e) AS tax_amount,
    minor_to_amount(tl.l.unit_cost, tl.e) AS unit_cost,
    tl.sign * minor_to_amount(tl.l.line_total, tl.e) AS line_total,
    tl.sign * minor_to_amount(tl.l.quantity * tl.l.unit_cost, tl.e) AS cost_total,
    to_base_amount(tl.sign * minor_to_amount(tl.l.line_total, tl.e), tl.fx_rate) AS base_line_total,
    to_base_amount(tl.sign * minor_to_amount(tl.l.quantity * tl.l.unit_cost, tl.e), tl.fx_rate) AS base_cost_total,
    nullif(concat_ws('; ',
        tl.ticket_issue,
        CASE WHEN tc.tax_code IS NULL
             THEN 'unmapped_tax_code: "' || coalesce(tl.l.tax_code, '') || '" is not in mappings/tax_codes.csv' END
    ), '') AS mapping_issue
FROM ticket_lines AS tl
LEFT JOIN ref.tax_codes AS tc ON tc.tax_code = upper(tl.l.tax_code);

INSERT INTO canonical.pos_tenders BY NAME
WITH ticket_tenders AS (
    SELECT business_date, ticket_id, store_id, ticket_type, is_financial, currency, e, sign,
           fx_rate, local_closed_at, ticket_issue, unnest(tenders) AS t
    FROM latest_pos_tickets
),
mapped_tenders AS (
    SELECT
        tt.*,
        upper(replace(trim(tt.t.tender_type), ' ', '_')) AS tender_key,
        coalesce(card.payment_method_code, other.payment_method_code) AS payment_method_code
    FROM ticket_tenders AS tt
    LEFT JOIN ref.payment_methods AS card
        ON upper(replace(trim(tt.t.tender_type), ' ', '_')) = 'CARD'
       AND card.source_field = 'card_brand'
       AND card.source_value = upper(replace(trim(tt.t.card_brand), ' ', '_'))
    LEFT JOIN ref.payment_methods AS other
        ON other.source_field = 'tender_type'
       AND other.source_value = upper(replace(trim(tt.t.tender_type), ' ', '_'))
)
SELECT
    business_date, ticket_id, t.tender_id, store_id, ticket_type, is_financial,
    t.tender_type, payment_method_code,
    -- The POS sends empty strings for fields a tender type does not have.
    nullif(t.card_brand, '') AS card_brand,
    nullif(left(t.masked_number_first6last4, 6), '') AS card_first6,
    nullif(right(t.masked_number_first6last4, 4), '') AS card_last4,
    nullif(t.gift_card_last4, '') AS gift_card_last4,
    nullif(t.gateway_transaction_id, '') AS gateway_transaction_id,
    currency,
    sign * minor_to_amount(t.amount, e) AS amount,
    sign * minor_to_amount(coalesce(t.tip_amount, 0), e) AS tip_amount,
    to_base_amount(sign * minor_to_amount(t.amount, e), fx_rate) AS base_amount,
    local_closed_at,
    nullif(concat_ws('; ',
        ticket_issue,
        CASE WHEN payment_method_code IS NULL AND tender_key = 'CARD'
             THEN 'unmapped_payment_method: card brand "' || coalesce(t.card_brand, '') || '" is not in mappings/payment_methods.csv' END,
        CASE WHEN payment_method_code IS NULL AND tender_key <> 'CARD'
             THEN 'unmapped_payment_type: tender type "' || coalesce(t.tender_type, '') || '" is not in mappings/payment_methods.csv' END
    ), '') AS mapping_issue
FROM mapped_tenders;

DROP TABLE latest_pos_tickets;
