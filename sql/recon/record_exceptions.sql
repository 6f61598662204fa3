-- Turn what the reconciliations of $first..$last found into recon.exceptions rows. An exception
-- keeps its id across runs (a hash of its kind and source keys), so a re-run refreshes amounts and
-- last-seen day, marks what is no longer found, and never touches status or resolution note.
CREATE OR REPLACE TEMP TABLE recon_detected AS
WITH found AS (
    SELECT
        CASE status
            WHEN 'discrepancy' THEN 'settlement_discrepancy'
            ELSE status
        END AS kind,
        business_date, store_id, currency,
        CASE status
            WHEN 'batch_without_transactions' THEN abs(reported_net_amount)
            WHEN 'transactions_without_batch' THEN abs(transactions_net_amount)
            ELSE greatest(abs(sales_difference), abs(refunds_difference), abs(net_difference),
                          abs(deposit_difference))
        END AS amount_at_risk,
        reported_net_amount AS reported_amount,
        transactions_net_amount AS computed_amount,
        'batch_id=' || coalesce(batch_id, '(none)') || ', store_id=' || coalesce(store_id, '?')
            || ', business_date=' || business_date AS source_keys,
        CASE status
            WHEN 'batch_without_transactions'
                THEN 'batch reports ' || reported_sales_count + reported_refunds_count
                     || ' transactions, net ' || reported_net_amount || '; none in canonical.payments'
            WHEN 'transactions_without_batch'
                THEN (transactions_sales_count + transactions_refunds_count)
                     || ' captured transactions, net ' || transactions_net_amount
                     || ', name a batch Heartland did not report'
            ELSE 'batch reports ' || reported_sales_count + reported_refunds_count || ' transactions, net '
                 || reported_net_amount || ', deposit ' || reported_deposit_amount
                 || '; transactions: ' || transactions_sales_count + transactions_refunds_count
                 || ', net ' || transactions_net_amount || ' (differences: count ' || count_difference
                 || ', sales ' || sales_difference || ', refunds ' || refunds_difference
                 || ', deposit ' || deposit_difference || '; tolerance ' || tolerance || ')'
        END AS detail
    FROM recon.settlement_vs_transactions
    WHERE business_date BETWEEN $first AND $last
      AND status NOT IN ('matched', 'within_tolerance')
    UNION ALL
    SELECT
        CASE status WHEN 'amount_difference' THEN 'tender_amount_difference' ELSE status END,
        business_date, store_id, currency,
        CASE status
            WHEN 'tender_without_gateway_transaction' THEN abs(tender_amount + tender_tip_amount)
            WHEN 'gateway_transaction_without_tender' THEN abs(transaction_amount)
            ELSE abs(amount_difference)
        END,
        tender_amount + coalesce(tender_tip_amount, 0),
        transaction_amount,
        'tender_id=' || coalesce(tender_id, '(none)') || ', transaction_id='
            || coalesce(transaction_id, '(none)') || ', business_date=' || business_date,
        reason
    FROM recon.tenders_vs_gateway
    WHERE business_date BETWEEN $first AND $last
      AND status NOT IN ('matched', 'sales_order_payment')
)
SELECT
    'EXC_' || upper(md5(kind || '|' || source_keys)[1:20]) AS exception_id,
    f.kind,
    CASE WHEN f.amount_at_risk >= coalesce(tol.alert_threshold, 0) THEN 'high' ELSE 'medium' END AS severity,
    f.business_date, f.store_id, f.currency, f.amount_at_risk, f.reported_amount, f.computed_amount,
    f.source_keys, f.detail
FROM found AS f
LEFT JOIN ref.recon_tolerances AS tol ON tol.currency = f.currency;

UPDATE recon.exceptions AS e
SET severity = d.severity,
    amount_at_risk = d.amount_at_risk,
    reported_amount = d.reported_amount,
    computed_amount = d.computed_amount,
    detail = d.detail,
    last_seen_business_date = greatest(e.last_seen_business_date, d.business_date),
    last_detected_at = now(),
    still_detected = true
FROM recon_detected AS d
WHERE e.exception_id = d.exception_id;

UPDATE recon.exceptions
SET still_detected = false
WHERE business_date BETWEEN $first AND $last
  AND still_detected
  AND kind NOT LIKE 'gl_vs_d365%'  -- the D365 read-back (record_gl_exceptions.sql) owns those
  AND exception_id NOT IN (SELECT exception_id FROM recon_detected);

INSERT INTO recon.exceptions
SELECT
    d.exception_id, d.kind, d.severity, d.business_date, d.store_id, d.currency, d.amount_at_risk,
    d.reported_amount, d.computed_amount, d.source_keys, d.detail,
    d.business_date, d.business_date, now(), now(), true, 'open', NULL, NULL, NULL
FROM recon_detected AS d
ANTI JOIN recon.exceptions AS e USING (exception_id);

-- A high-severity exception raises one alert, once (keyed by the exception).
INSERT INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message)
SELECT 'ALR_' || d.exception_id[5:], now(), 'high', 'reconciliation_' || d.kind, d.business_date,
       d.kind || ' of ' || d.amount_at_risk || ' ' || d.currency || ' (' || d.source_keys || '): ' || d.detail
FROM recon_detected AS d
WHERE d.severity = 'high'
ON CONFLICT DO NOTHING;

DROP TABLE recon_detected;
