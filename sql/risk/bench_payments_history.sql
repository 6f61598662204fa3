-- The payments risk benchmark's warehouse (hl_d365_assets/bench/risk_payments.py): $days business
-- days ending $last_day, five stores of mappings/stores.csv x $per_store gateway transactions each,
-- written straight into canonical.payments, pos_tenders and pos_sales (a million-transaction day
-- generated and loaded 29 times over would take an hour; the features read only the canonical
-- layer). Shaped like the sandbox's: 2 % declined, 4 % refunds, entry modes 55/35/7/3 %, 12 % tipped,
-- 90 % on a ticket at one of six registers, 08:00-21:00 local, amounts log-spread around 100.
INSERT INTO canonical.payments BY NAME
WITH drawn AS (
    SELECT
        d.day_no,
        s.store_no,
        r.n,
        $last_day - ($days - 1) + d.day_no::INTEGER AS business_date,
        hash(d.day_no, s.store_no, r.n) AS h
    FROM range($days) AS d(day_no)
    CROSS JOIN range(5) AS s(store_no)
    CROSS JOIN range($per_store) AS r(n)
)
SELECT
    dr.business_date,
    'TRN_B' || dr.day_no || 'S' || dr.store_no || 'N' || dr.n AS transaction_id,
    st.store_id,
    st.legal_entity,
    st.merchant_id,
    CASE WHEN dr.h % 100 < 4 THEN 'REFUND' ELSE 'SALE' END AS transaction_type,
    CASE WHEN dr.h % 100 BETWEEN 4 AND 5 THEN 'DECLINED' ELSE 'CAPTURED' END AS gateway_status,
    CASE WHEN dr.h % 100 BETWEEN 4 AND 5 THEN 'Declined' ELSE 'Invoiced' END AS status_code,
    dr.h % 100 NOT BETWEEN 4 AND 5 AS is_financial,
    'VISA' AS card_brand,
    '411111' AS card_first6,
    lpad((dr.h // 100 % 10000)::VARCHAR, 4, '0') AS card_last4,
    'PMT_B' || dr.store_no || 'N' || (dr.h // 7 % ($per_store * $days)) AS payment_token,
    CASE WHEN dr.h // 1000 % 100 < 55 THEN 'CONTACTLESS_CHIP' WHEN dr.h // 1000 % 100 < 90 THEN 'CHIP'
         WHEN dr.h // 1000 % 100 < 97 THEN 'SWIPE' ELSE 'MANUAL' END AS entry_mode,
    'BAT_B' || dr.day_no || 'S' || dr.store_no AS batch_id,
    st.currency,
    (CASE WHEN dr.h % 100 < 4 THEN -1 ELSE 1 END
        * round(exp(3.5 + (dr.h // 100000 % 1000) / 500.0) + 1, 2))::DECIMAL(18, 2) AS amount,
    CASE WHEN dr.h // 10 % 100 < 12 AND dr.h % 100 >= 4
         THEN round(exp(3.5 + (dr.h // 100000 % 1000) / 500.0) * 0.15, 2) ELSE 0 END::DECIMAL(18, 2) AS tip_amount,
    st.currency AS base_currency,
    1 AS fx_rate,
    (CASE WHEN dr.h % 100 < 4 THEN -1 ELSE 1 END
        * round(exp(3.5 + (dr.h // 100000 % 1000) / 500.0) + 1, 2))::DECIMAL(18, 2) AS base_amount,
    dr.business_date + INTERVAL 8 HOUR + to_milliseconds(dr.n * 46800000 // $per_store) AS local_time,
    timezone('UTC', dr.business_date + INTERVAL 13 HOUR + to_milliseconds(dr.n * 46800000 // $per_store)) AS time_created,
    timezone('UTC', dr.business_date + INTERVAL 13 HOUR + to_milliseconds(dr.n * 46800000 // $per_store)) AS last_received_at,
    false AS is_late,
    1 AS event_count,
    'EVT_B' AS source_event_id,
    'bench' AS source_segment_path,
    dr.n AS source_line_number
FROM drawn AS dr
JOIN (SELECT *, row_number() OVER (ORDER BY store_id) - 1 AS store_no FROM ref.stores) AS st USING (store_no);

INSERT INTO canonical.pos_tenders BY NAME
SELECT
    business_date,
    'TKT_' || transaction_id[5:] AS ticket_id,
    'TKT_' || transaction_id[5:] || '-P1' AS tender_id,
    store_id,
    transaction_type AS ticket_type,
    true AS is_financial,
    'CARD' AS tender_type,
    transaction_id AS gateway_transaction_id,
    currency,
    amount
FROM canonical.payments
WHERE source_segment_path = 'bench' AND gateway_status = 'CAPTURED' AND hash(transaction_id) % 100 < 93;

INSERT INTO canonical.pos_sales BY NAME
SELECT
    business_date,
    ticket_id,
    store_id,
    'R0' || (1 + hash(ticket_id) % 6) AS register_id,
    ticket_type,
    'complete' AS ticket_status,
    currency,
    1 AS line_count,
    1 AS tender_count,
    timezone('UTC', business_date + INTERVAL 12 HOUR) AS closed_at,
    timezone('UTC', business_date + INTERVAL 12 HOUR) AS received_at,
    false AS is_late,
    'EVT_B' AS source_event_id,
    'bench' AS source_segment_path,
    0 AS source_line_number
FROM canonical.pos_tenders;
