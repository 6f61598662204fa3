-- Build canonical.payments for business days $first..$last from raw.payment_transactions.
INSERT INTO canonical.payments BY NAME
WITH transaction_events AS (
    SELECT
        *,
        count(*) OVER per_transaction AS event_count,
        max(received_at) OVER per_transaction AS last_received_at,
        row_number() OVER (
            PARTITION BY business_date, transaction_id
            ORDER BY coalesce(time_last_updated, time_created) DESC, received_at DESC,
                     segment_path DESC, line_number DESC
        ) AS recency
    FROM raw.payment_transactions
    WHERE business_date BETWEEN $first AND $last
    WINDOW per_transaction AS (PARTITION BY business_date, transaction_id)
),
latest_state AS (
    SELECT * FROM transaction_events WHERE recency = 1
),
mapped AS (
    SELECT
        t.*,
        s.store_id, s.legal_entity, s.timezone, le.base_currency, c.minor_unit_exponent,
        pm.payment_method_code, st.status_code, st.is_financial,
        CASE WHEN t.type = 'REFUND' THEN -1 ELSE 1 END AS sign
    FROM latest_state AS t
    LEFT JOIN ref.stores AS s ON s.merchant_id = t.merchant_id
    LEFT JOIN ref.legal_entities AS le ON le.legal_entity = s.legal_entity
    LEFT JOIN ref.currencies AS c ON c.currency = t.currency
    LEFT JOIN ref.payment_methods AS pm
        ON pm.source_field = 'card_brand' AND pm.source_value = upper(replace(trim(t.card_brand), ' ', '_'))
    LEFT JOIN ref.transaction_statuses AS st
        ON st.source_field = 'gateway_status' AND st.source_value = upper(t.status)
),
converted AS (
    SELECT m.*, fx.rate AS fx_rate
    FROM mapped AS m
    ASOF LEFT JOIN ref.fx_rates AS fx
        ON fx.from_currency = m.currency AND fx.to_currency = m.base_currency
       AND m.business_date >= fx.rate_date
)
SELECT
    business_date,
    transaction_id,
    store_id,
    legal_entity,
    merchant_id,
    type AS transaction_type,
    status AS gateway_status,
    status_code,
    is_financial,
    payment_method_code,
    card_brand,
    nullif(left(masked_number_first6last4, 6), '') AS card_first6,
    nullif(right(masked_number_first6last4, 4), '') AS card_last4,
    payment_token,
    authcode,
    entry_mode,
    batch_id,
    CASE WHEN type = 'REFUND' THEN parent_resource_id END AS parent_transaction_id,
    reference,
    currency,
    sign * minor_to_amount(amount, minor_unit_exponent) AS amount,
    sign * minor_to_amount(gratuity_amount, minor_unit_exponent) AS tip_amount,
    base_currency,
    fx_rate,
    to_base_amount(sign * minor_to_amount(amount, minor_unit_exponent), fx_rate) AS base_amount,
    time_created,
    timezone(timezone, time_created) AS local_time,
    last_received_at,
    coalesce(last_received_at > timezone(timezone, CAST(business_date + 1 AS TIMESTAMP)), false) AS is_late,
    event_count,
    nullif(concat_ws('; ',
        CASE WHEN store_id IS NULL THEN 'unknown_store: merchant_id "' || merchant_id || '" is not in mappings/stores.csv' END,
        CASE WHEN status_code IS NULL THEN 'unmapped_status: gateway status "' || status || '" is not in mappings/transaction_statuses.csv' END,
        CASE WHEN payment_method_code IS NULL
             THEN 'unmapped_payment_method: card brand ' || coalesce('"' || card_brand || '"', '(none)') || ' is not in mappings/payment_methods.csv' END,
        CASE WHEN minor_unit_exponent IS NULL OR minor_unit_exponent > 2
             THEN 'unsupported_currency: "' || currency || '" is not in mappings/currencies.csv with an exponent of 0-2' END,
        CASE WHEN store_id IS NOT NULL AND fx_rate IS NULL
             THEN 'missing_fx_rate: no ' || currency || '->' || coalesce(base_currency, '?') || ' rate on or before ' || business_date END,
        CASE WHEN store_id IS NOT NULL AND CAST(timezone(timezone, time_created) AS DATE) <> business_date
             THEN 'wrong_business_day: local date ' || CAST(timezone(timezone, time_created) AS DATE) || ' landed under ' || business_date END
    ), '') AS mapping_issue,
    event_id AS source_event_id,
    segment_path AS source_segment_path,
    line_number AS source_line_number
FROM converted;
