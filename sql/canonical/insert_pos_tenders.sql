-- Build canonical.pos_tenders for the staged tickets (stage_latest_pos_tickets.sql): one row per
-- tender, returns negative, with its D365 payment method and, for cards, first6/last4 only.
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
