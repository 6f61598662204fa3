-- Build canonical.pos_tenders from the staged Retail tickets (stage_latest_retail_tickets.sql):
-- one row per payment, signed as Retail sends it (a return's refund is negative). The payment
-- type (raw.retail_payment_types, as last landed) maps through the finance-owned
-- mappings/retail_payment_types.csv to a tender type and card brand, and on to a D365 payment
-- method (mappings/payment_methods.csv: the store's own row before the all-stores row, dated); an
-- unknown one is flagged unmapped_payment_type, never guessed. Retail payments carry no card digits: card_first6/last4 stay NULL; an integrated card
-- payment names its gateway transaction (custom.gateway_transaction_id). A tip added on a card
-- payment is the payment's own `tip` (assumed field; 0 when absent), outside its amount.
INSERT INTO canonical.pos_tenders BY NAME
WITH ticket_payments AS (
    SELECT business_date, ticket_id, store_id, ticket_type, is_financial, currency, fx_rate,
           local_closed_at, ticket_issue, unnest(payments) AS p
    FROM latest_retail_tickets
),
payment_types AS (
    SELECT payment_type_id, arg_max(name, (business_date, coalesce(updated_at, received_at), received_at)) AS name
    FROM raw.retail_payment_types WHERE business_date <= $last
    GROUP BY payment_type_id
),
named AS (
    SELECT tp.*, pt.name AS payment_type_name, rpt.tender_type, rpt.card_brand
    FROM ticket_payments AS tp
    LEFT JOIN payment_types AS pt ON pt.payment_type_id = tp.p.payment_type_id
    LEFT JOIN ref.retail_payment_types AS rpt
        ON rpt.payment_type_name = upper(replace(trim(pt.name), ' ', '_'))
),
-- The payment method per store, day, tender type and brand: looked up once each (a few dozen),
-- not once per payment.
tender_methods AS (
    SELECT store_id, business_date, tender_type, card_brand,
           CASE WHEN tender_type = 'CARD'
                THEN mapped_payment_method('card_brand', card_brand, store_id, business_date)
                ELSE mapped_payment_method('tender_type', tender_type, store_id, business_date)
           END AS payment_method_code
    FROM (SELECT DISTINCT store_id, business_date, tender_type, card_brand FROM named)
),
typed AS (
    SELECT n.*, m.payment_method_code
    FROM named AS n
    LEFT JOIN tender_methods AS m
        ON m.business_date = n.business_date
       AND m.store_id IS NOT DISTINCT FROM n.store_id
       AND m.tender_type IS NOT DISTINCT FROM n.tender_type
       AND m.card_brand IS NOT DISTINCT FROM n.card_brand
)
SELECT
    business_date, ticket_id, ticket_id || '-P' || p.id AS tender_id, store_id, ticket_type,
    is_financial, tender_type, payment_method_code, card_brand,
    NULL AS card_first6, NULL AS card_last4, NULL AS gift_card_last4,
    p.gateway_transaction_id,
    currency,
    p.amount,
    coalesce(p.tip, 0) AS tip_amount,
    to_base_amount(p.amount, fx_rate) AS base_amount,
    local_closed_at,
    nullif(concat_ws('; ',
        ticket_issue,
        CASE WHEN payment_type_name IS NULL
             THEN 'unmapped_payment_type: Retail payment type ' || coalesce(p.payment_type_id, '(none)') || ' is not in raw.retail_payment_types'
             WHEN tender_type IS NULL
             THEN 'unmapped_payment_type: Retail payment type "' || payment_type_name || '" is not in mappings/retail_payment_types.csv'
             WHEN payment_method_code IS NULL
             THEN 'unmapped_payment_method: ' || tender_type || coalesce(' ' || card_brand, '') || ' is not in mappings/payment_methods.csv' END
    ), '') AS mapping_issue
FROM typed;
