-- Build canonical.settlement_batches for business days $first..$last; a redelivered batch with a
-- newer close time supersedes the earlier one.
INSERT INTO canonical.settlement_batches BY NAME
WITH latest_batches AS (
    SELECT *
    FROM raw.settlement_batches
    WHERE business_date BETWEEN $first AND $last
    QUALIFY row_number() OVER (
        PARTITION BY business_date, batch_id
        ORDER BY time_closed DESC NULLS LAST, received_at DESC, segment_path DESC, line_number DESC
    ) = 1
),
mapped AS (
    SELECT b.*, s.store_id, s.legal_entity, le.base_currency, c.minor_unit_exponent AS e
    FROM latest_batches AS b
    LEFT JOIN ref.stores AS s ON s.merchant_id = b.merchant_id
    LEFT JOIN ref.legal_entities AS le ON le.legal_entity = s.legal_entity
    LEFT JOIN ref.currencies AS c ON c.currency = b.currency
),
converted AS (
    SELECT m.*, fx.rate AS fx_rate
    FROM mapped AS m
    ASOF LEFT JOIN ref.fx_rates AS fx
        ON fx.from_currency = m.currency AND fx.to_currency = m.base_currency
       AND m.business_date >= fx.rate_date
)
SELECT
    business_date, batch_id, store_id, legal_entity, merchant_id,
    status AS batch_status,
    currency,
    transaction_count, sales_count,
    minor_to_amount(sales_amount, e) AS sales_amount,
    refunds_count,
    minor_to_amount(refunds_amount, e) AS refunds_amount,
    minor_to_amount(amount, e) AS net_amount,
    minor_to_amount(gratuity_amount, e) AS tip_amount,
    minor_to_amount(fees_amount, e) AS fees_amount,
    deposit_id, deposit_date,
    minor_to_amount(deposit_amount, e) AS deposit_amount,
    base_currency, fx_rate,
    to_base_amount(minor_to_amount(amount, e), fx_rate) AS base_net_amount,
    to_base_amount(minor_to_amount(fees_amount, e), fx_rate) AS base_fees_amount,
    to_base_amount(minor_to_amount(deposit_amount, e), fx_rate) AS base_deposit_amount,
    time_closed,
    nullif(concat_ws('; ',
        CASE WHEN store_id IS NULL THEN 'unknown_store: merchant_id "' || merchant_id || '" is not in mappings/stores.csv' END,
        CASE WHEN e IS NULL OR e > 2
             THEN 'unsupported_currency: "' || currency || '" is not in mappings/currencies.csv with an exponent of 0-2' END,
        CASE WHEN store_id IS NOT NULL AND fx_rate IS NULL
             THEN 'missing_fx_rate: no ' || currency || '->' || coalesce(base_currency, '?') || ' rate on or before ' || business_date END
    ), '') AS mapping_issue,
    event_id AS source_event_id,
    segment_path AS source_segment_path,
    line_number AS source_line_number
FROM converted;

INSERT INTO canonical.settlement_fees BY NAME
WITH brand_rows AS (
    SELECT b.business_date, b.batch_id, b.store_id, b.currency, b.fx_rate,
           b.mapping_issue AS batch_issue, unnest(r.brand_breakdown) AS brand
    FROM canonical.settlement_batches AS b
    JOIN raw.settlement_batches AS r
        ON r.segment_path = b.source_segment_path AND r.line_number = b.source_line_number
    WHERE b.business_date BETWEEN $first AND $last
)
SELECT
    br.business_date,
    br.batch_id,
    br.store_id,
    br.brand.brand AS card_brand,
    pm.payment_method_code,
    br.currency,
    br.brand.count AS transaction_count,
    minor_to_amount(br.brand.sales_amount, c.minor_unit_exponent) AS sales_amount,
    minor_to_amount(br.brand.refunds_amount, c.minor_unit_exponent) AS refunds_amount,
    minor_to_amount(br.brand.amount, c.minor_unit_exponent) AS net_amount,
    minor_to_amount(br.brand.fees_amount, c.minor_unit_exponent) AS fees_amount,
    to_base_amount(minor_to_amount(br.brand.fees_amount, c.minor_unit_exponent), br.fx_rate) AS base_fees_amount,
    nullif(concat_ws('; ',
        br.batch_issue,
        CASE WHEN pm.payment_method_code IS NULL
             THEN 'unmapped_payment_method: card brand "' || coalesce(br.brand.brand, '') || '" is not in mappings/payment_methods.csv'
        END
    ), '') AS mapping_issue
FROM brand_rows AS br
LEFT JOIN ref.currencies AS c ON c.currency = br.currency
LEFT JOIN ref.payment_methods AS pm
    ON pm.source_field = 'card_brand' AND pm.source_value = upper(replace(trim(br.brand.brand), ' ', '_'));
