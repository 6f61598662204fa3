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
-- The store of each (merchant id, site_reference): see sql/macros/store_attribution.sql.
merchant_stores AS (
    SELECT merchant_id, count(DISTINCT store_id) AS store_count, min(store_id) AS only_store_id
    FROM ref.stores
    GROUP BY merchant_id
),
store_of_batch AS (
    SELECT
        b.batch_id, b.business_date,
        CASE
            WHEN coalesce(b.site_reference, '') <> '' THEN s.store_id
            WHEN ms.store_count = 1 THEN ms.only_store_id
        END AS store_id,
        coalesce(ms.store_count, 0) AS merchant_store_count
    FROM latest_batches AS b
    LEFT JOIN merchant_stores AS ms ON ms.merchant_id = b.merchant_id
    LEFT JOIN (SELECT DISTINCT store_id, merchant_id FROM ref.stores) AS s
        ON s.store_id = b.site_reference AND s.merchant_id = b.merchant_id
),
mapped AS (
    SELECT b.*, sb.merchant_store_count, s.store_id, s.legal_entity, le.base_currency,
           c.minor_unit_exponent AS e
    FROM latest_batches AS b
    JOIN store_of_batch AS sb USING (business_date, batch_id)
    LEFT JOIN ref.stores AS s ON s.store_id = sb.store_id
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
        unknown_store_problem(store_id, merchant_id, site_reference, merchant_store_count),
        CASE WHEN e IS NULL OR e > 2
             THEN 'unsupported_currency: "' || currency || '" is not in mappings/currencies.csv with an exponent of 0-2' END,
        CASE WHEN store_id IS NOT NULL AND fx_rate IS NULL
             THEN 'missing_fx_rate: no ' || currency || '->' || coalesce(base_currency, '?') || ' rate on or before ' || business_date END
    ), '') AS mapping_issue,
    event_id AS source_event_id,
    segment_path AS source_segment_path,
    line_number AS source_line_number
FROM converted;
