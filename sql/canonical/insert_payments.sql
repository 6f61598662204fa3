-- Build canonical.payments for business days $first..$last from raw.payment_transactions.
-- The day's raw rows are ~36 columns wide; a CTE read more than once is materialised, so only
-- narrow CTEs are shared here (the multi-event transactions, the superseded events, the day's
-- distinct store/currency/brand keys) and the wide rows are scanned once, straight from the
-- table, by `converted` at the end. The statement used to materialise the window's rows and the
-- latest-state rows whole (two wide copies of the day) and re-read them five times: on the 1M
-- benchmark day this insert took 6.6 s CPU, now 4.4-5.1, the same 996,190 rows
-- (docs/benchmarks.md, stop 37); what is left is mostly writing the table.
INSERT INTO canonical.payments BY NAME
-- Most transactions arrive as one event; only those with several (a capture then a void) need
-- ordering, so the sort runs on them alone.
WITH multi_event AS (
    SELECT business_date, transaction_id, count(*) AS event_count, max(received_at) AS last_received_at
    FROM raw.payment_transactions
    WHERE business_date BETWEEN $first AND $last
    GROUP BY ALL
    HAVING count(*) > 1
),
superseded AS (
    SELECT segment_path, line_number
    FROM raw.payment_transactions
    SEMI JOIN multi_event USING (business_date, transaction_id)
    WHERE business_date BETWEEN $first AND $last
    QUALIFY row_number() OVER (
        PARTITION BY business_date, transaction_id
        ORDER BY coalesce(time_last_updated, time_created) DESC, received_at DESC,
                 segment_path DESC, line_number DESC
    ) > 1
),
-- The latest-state events: the day's events but the superseded ones, wide, read once.
latest_state AS (
    SELECT *
    FROM raw.payment_transactions
    ANTI JOIN superseded USING (segment_path, line_number)
    WHERE business_date BETWEEN $first AND $last
),
-- The keys the lookups below are computed for, once each (a few dozen): the distinct values of
-- the latest-state events, as the lookups used to take them, read from five narrow columns.
latest_keys AS (
    SELECT DISTINCT business_date, merchant_id, site_reference, currency, card_brand
    FROM raw.payment_transactions
    ANTI JOIN superseded USING (segment_path, line_number)
    WHERE business_date BETWEEN $first AND $last
),
-- The store of each (merchant id, site_reference): see sql/macros/store_attribution.sql.
merchant_stores AS (
    SELECT merchant_id, count(DISTINCT store_id) AS store_count, min(store_id) AS only_store_id
    FROM ref.stores
    GROUP BY merchant_id
),
store_of_event AS (
    SELECT
        e.merchant_id, e.site_reference,
        CASE
            WHEN coalesce(e.site_reference, '') <> '' THEN s.store_id
            WHEN ms.store_count = 1 THEN ms.only_store_id
        END AS store_id,
        coalesce(ms.store_count, 0) AS merchant_store_count
    FROM (SELECT DISTINCT merchant_id, site_reference FROM latest_keys) AS e
    LEFT JOIN merchant_stores AS ms ON ms.merchant_id = e.merchant_id
    LEFT JOIN (SELECT DISTINCT store_id, merchant_id FROM ref.stores) AS s
        ON s.store_id = e.site_reference AND s.merchant_id = e.merchant_id
),
-- Store, currency and rate facts per store, currency and day: computed once per day, not per row.
merchant_days AS (
    SELECT
        d.business_date, d.merchant_id, d.site_reference, d.currency,
        se.merchant_store_count,
        s.store_id, s.legal_entity, s.timezone, le.base_currency, c.minor_unit_exponent,
        business_day_ends_at(s.timezone, d.business_date) AS day_ends_at
    FROM (SELECT DISTINCT business_date, merchant_id, site_reference, currency FROM latest_keys) AS d
    LEFT JOIN store_of_event AS se
        ON se.merchant_id IS NOT DISTINCT FROM d.merchant_id
       AND se.site_reference IS NOT DISTINCT FROM d.site_reference
    LEFT JOIN ref.stores AS s ON s.store_id = se.store_id
    LEFT JOIN ref.legal_entities AS le ON le.legal_entity = s.legal_entity
    LEFT JOIN ref.currencies AS c ON c.currency = d.currency
),
merchant_day_rates AS (
    SELECT md.*, fx.rate AS fx_rate
    FROM merchant_days AS md
    ASOF LEFT JOIN ref.fx_rates AS fx
        ON fx.from_currency = md.currency AND fx.to_currency = md.base_currency
       AND md.business_date >= fx.rate_date
),
-- The payment method per brand, store and day, looked up once each (a few dozen), not per row.
brand_methods AS (
    SELECT b.business_date, b.store_id, b.card_brand,
           mapped_payment_method('card_brand', b.card_brand, b.store_id, b.business_date) AS payment_method_code
    FROM (
        SELECT DISTINCT t.business_date, md.store_id, t.card_brand
        FROM latest_keys AS t
        LEFT JOIN merchant_day_rates AS md
            ON md.business_date = t.business_date
           AND md.merchant_id IS NOT DISTINCT FROM t.merchant_id
           AND md.site_reference IS NOT DISTINCT FROM t.site_reference
           AND md.currency IS NOT DISTINCT FROM t.currency
    ) AS b
),
converted AS (
    SELECT
        t.*,
        coalesce(m.event_count, 1) AS event_count,
        coalesce(m.last_received_at, t.received_at) AS last_received_at,
        md.store_id, md.legal_entity, md.timezone, md.base_currency, md.minor_unit_exponent,
        md.day_ends_at, md.fx_rate, md.merchant_store_count,
        timezone(md.timezone, t.time_created) AS local_time,
        -- The store's own row before the all-stores row (sql/ref/load_payment_methods.sql).
        bm.payment_method_code,
        st.status_code, st.is_financial,
        CASE WHEN t.type = 'REFUND' THEN -1 ELSE 1 END AS sign
    FROM latest_state AS t
    LEFT JOIN merchant_day_rates AS md
        ON md.business_date = t.business_date
       AND md.merchant_id IS NOT DISTINCT FROM t.merchant_id
       AND md.site_reference IS NOT DISTINCT FROM t.site_reference
       AND md.currency IS NOT DISTINCT FROM t.currency
    LEFT JOIN multi_event AS m
        ON m.business_date = t.business_date AND m.transaction_id = t.transaction_id
    LEFT JOIN ref.transaction_statuses AS st
        ON st.source_field = 'gateway_status' AND st.source_value = upper(t.status)
    LEFT JOIN brand_methods AS bm
        ON bm.business_date = t.business_date
       AND bm.store_id IS NOT DISTINCT FROM md.store_id
       AND bm.card_brand IS NOT DISTINCT FROM t.card_brand
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
    -- raw fills X where the row did not say (a row with the last four only): no digits, no value.
    CASE WHEN regexp_full_match(left(masked_number_first6last4, 6), '[0-9]{6}')
         THEN left(masked_number_first6last4, 6) END AS card_first6,
    CASE WHEN regexp_full_match(right(masked_number_first6last4, 4), '[0-9]{4}')
         THEN right(masked_number_first6last4, 4) END AS card_last4,
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
    local_time,
    last_received_at,
    coalesce(last_received_at > day_ends_at, false) AS is_late,
    event_count,
    nullif(concat_ws('; ',
        unknown_store_problem(store_id, merchant_id, site_reference, merchant_store_count),
        CASE WHEN status_code IS NULL THEN 'unmapped_status: gateway status "' || status || '" is not in mappings/transaction_statuses.csv' END,
        CASE WHEN payment_method_code IS NULL
             THEN 'unmapped_payment_method: card brand ' || coalesce('"' || card_brand || '"', '(none)') || ' is not in mappings/payment_methods.csv' END,
        CASE WHEN minor_unit_exponent IS NULL OR minor_unit_exponent > 2
             THEN 'unsupported_currency: "' || currency || '" is not in mappings/currencies.csv with an exponent of 0-2' END,
        CASE WHEN store_id IS NOT NULL AND fx_rate IS NULL
             THEN 'missing_fx_rate: no ' || currency || '->' || coalesce(base_currency, '?') || ' rate on or before ' || business_date END,
        CASE WHEN store_id IS NOT NULL AND CAST(local_time AS DATE) <> business_date
             THEN 'wrong_business_day: local date ' || CAST(local_time AS DATE) || ' landed under ' || business_date END
    ), '') AS mapping_issue,
    event_id AS source_event_id,
    segment_path AS source_segment_path,
    line_number AS source_line_number
FROM converted;
