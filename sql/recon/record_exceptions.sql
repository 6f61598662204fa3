-- Turn what the reconciliations of $first..$last found into recon.exceptions rows. An exception
-- keeps its id across runs (a hash of its kind and source keys), so a re-run refreshes amounts and
-- last-seen day and never touches an accountant's status or note. What is no longer found is
-- marked with when, why and the landed event that cleared it; if nobody had decided on it yet
-- (status open) it is closed as cleared, so status = 'open' is exactly what still stands. A
-- cleared exception that comes back is open again. $run_id: the Dagster run reconciling.
-- Every captured refund, up to $last, of a sale refunded in the window, with the refunds of that
-- sale so far: a sale may be refunded days later, and in several parts.
CREATE OR REPLACE TEMP TABLE recon_refunds AS
SELECT business_date, store_id, currency, transaction_id, parent_transaction_id, amount,
       sum(-amount) OVER (
           PARTITION BY parent_transaction_id, currency ORDER BY time_created, transaction_id
       ) AS refunded_so_far
FROM canonical.payments
WHERE transaction_type = 'REFUND' AND is_financial AND business_date <= $last
  AND parent_transaction_id IN (
      SELECT parent_transaction_id FROM canonical.payments
      WHERE business_date BETWEEN $first AND $last AND transaction_type = 'REFUND' AND is_financial
  );

CREATE OR REPLACE TEMP TABLE recon_refunded_sales AS
SELECT transaction_id, any_value(business_date) AS business_date, any_value(currency) AS currency,
       any_value(amount) AS amount
FROM canonical.payments
WHERE transaction_type = 'SALE' AND is_financial
  AND transaction_id IN (SELECT parent_transaction_id FROM recon_refunds)
GROUP BY transaction_id;

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
                          abs(deposit_difference), abs(fees_difference))
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
                 || ', deposit ' || deposit_difference || ', fees ' || fees_difference
                 || '; tolerance ' || tolerance || ', deposit ' || deposit_tolerance
                 || ', fees ' || fees_tolerance || ', count ' || count_tolerance || ')'
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
            WHEN 'currency_mismatch' THEN abs(transaction_amount)
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
    UNION ALL
    -- A deposit that differs from the day's money by more than the deposit tolerance.
    SELECT
        'deposit_difference', business_date, store_id, currency, abs(deposit_difference),
        reported_deposit, expected_deposit,
        'store_id=' || coalesce(store_id, '?') || ', currency=' || currency || ', business_date='
            || business_date || ', deposit_ids=' || replace(deposit_ids, ', ', ' '),
        'deposit ' || deposit_ids || ' reports ' || reported_deposit || ' ' || currency
            || ', but the day''s money pays ' || expected_deposit || ' (sales ' || gross_sales
            || ' - refunds ' || refunds || ' - fees ' || fees || ' + adjustments ' || adjustments
            || '): ' || CASE WHEN deposit_difference < 0 THEN 'short by ' ELSE 'over by ' END
            || abs(deposit_difference) || ' (tolerance ' || tolerance || ')'
    FROM recon.deposits
    WHERE business_date BETWEEN $first AND $last AND status = 'difference'
    UNION ALL
    -- Refunds of a sale adding up to more than it captured (matched by parent_resource_id): one
    -- exception per refund that goes past the sale, in the sale's currency only.
    SELECT
        'refund_exceeds_sale', r.business_date, r.store_id, r.currency,
        least(-r.amount, r.refunded_so_far - s.amount), s.amount, r.refunded_so_far,
        'refund_id=' || r.transaction_id || ', sale_id=' || r.parent_transaction_id
            || ', business_date=' || r.business_date,
        'refund ' || r.transaction_id || ' of ' || -r.amount || ' ' || r.currency || ' brings the refunds of sale '
            || r.parent_transaction_id || ' (captured ' || s.amount || ' ' || s.currency || ' on '
            || s.business_date || ') to ' || r.refunded_so_far || ', ' || (r.refunded_so_far - s.amount)
            || ' more than the sale'
    FROM recon_refunds AS r
    JOIN recon_refunded_sales AS s ON s.transaction_id = r.parent_transaction_id AND s.currency = r.currency
    WHERE r.business_date BETWEEN $first AND $last AND r.refunded_so_far > s.amount
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
    still_detected = true,
    status = CASE WHEN e.status = 'cleared' THEN 'open' ELSE e.status END,
    cleared_at = NULL, cleared_reason = NULL, cleared_by_event_id = NULL,
    cleared_by_segment_path = NULL, cleared_by_run_id = NULL
FROM recon_detected AS d
WHERE e.exception_id = d.exception_id;

-- What the reconciliation now says about the keys of each exception it no longer finds, and the
-- newest landed event behind those keys: the late arrival that made the figures agree.
CREATE OR REPLACE TEMP TABLE recon_cleared AS
WITH gone AS (
    SELECT exception_id, business_date, kind,
           regexp_extract(source_keys, 'store_id=([^,]+)', 1) AS store_id,
           regexp_extract(source_keys, 'currency=([^,]+)', 1) AS currency,
           nullif(regexp_extract(source_keys, 'batch_id=([^,]+)', 1), '(none)') AS batch_id,
           nullif(regexp_extract(source_keys, 'tender_id=([^,]+)', 1), '(none)') AS tender_id,
           nullif(regexp_extract(source_keys, 'transaction_id=([^,]+)', 1), '(none)') AS transaction_id
    FROM recon.exceptions
    WHERE business_date BETWEEN $first AND $last
      AND (still_detected OR status = 'open')
      AND kind NOT LIKE 'gl_vs_d365%'  -- the D365 read-back (record_gl_exceptions.sql) owns those
      -- and record_order_payment_exceptions.sql the order payments'
      AND kind NOT IN ('payment_for_unknown_order', 'order_payment_over', 'order_payment_under',
                       'order_payment_declined', 'order_payment_link_expired')
      AND kind NOT LIKE 'inventory\_%' ESCAPE '\'  -- record_inventory_exceptions.sql owns those
      AND kind NOT LIKE 'product\_%' ESCAPE '\'  -- and the product match (canonical.products)
      AND kind NOT LIKE 'risk\_%' ESCAPE '\'  -- and risk scoring (sql/risk/record_risk_exceptions.sql)
      AND exception_id NOT IN (SELECT exception_id FROM recon_detected)
),
tenders_now AS (
    SELECT g.exception_id, t.*
    FROM gone AS g
    JOIN recon.tenders_vs_gateway AS t ON t.business_date = g.business_date AND t.tender_id = g.tender_id
    UNION
    SELECT g.exception_id, t.*
    FROM gone AS g
    JOIN recon.tenders_vs_gateway AS t
      ON t.business_date = g.business_date AND t.transaction_id = g.transaction_id
),
batches_now AS (
    SELECT g.exception_id, s.*
    FROM gone AS g
    JOIN recon.settlement_vs_transactions AS s
      ON s.business_date = g.business_date AND s.batch_id = g.batch_id
),
deposits_now AS (
    SELECT g.exception_id, d.*
    FROM gone AS g
    JOIN recon.deposits AS d
      ON g.kind = 'deposit_difference' AND d.business_date = g.business_date
     AND d.store_id = g.store_id AND d.currency = g.currency
),
now_says AS (
    SELECT exception_id,
           string_agg('tender ' || coalesce(tender_id, '(none)') || ' and transaction '
                      || coalesce(transaction_id, '(none)') || ' now ' || status
                      || coalesce(' by ' || matched_by, ''), '; ' ORDER BY tender_id, transaction_id) AS said
    FROM tenders_now GROUP BY ALL
    UNION ALL
    SELECT exception_id,
           string_agg('batch ' || batch_id || ' now ' || status || ' (net difference '
                      || net_difference || ', tolerance ' || tolerance || ')', '; ' ORDER BY batch_id)
    FROM batches_now GROUP BY ALL
    UNION ALL
    SELECT exception_id,
           string_agg('deposit of ' || store_id || ' in ' || currency || ' now ' || status
                      || ' (difference ' || coalesce(CAST(deposit_difference AS VARCHAR), '(none)')
                      || ', tolerance ' || tolerance || ')', '; ')
    FROM deposits_now GROUP BY ALL
),
landed_behind AS (
    SELECT t.exception_id, p.source_event_id AS event_id, p.source_segment_path AS segment_path
    FROM tenders_now AS t
    JOIN canonical.payments AS p ON p.business_date = t.business_date AND p.transaction_id = t.transaction_id
    UNION ALL
    SELECT t.exception_id, s.source_event_id, s.source_segment_path
    FROM tenders_now AS t
    JOIN canonical.pos_sales AS s ON s.business_date = t.business_date AND s.ticket_id = t.ticket_id
    UNION ALL
    SELECT b.exception_id, s.source_event_id, s.source_segment_path
    FROM batches_now AS b
    JOIN canonical.settlement_batches AS s ON s.business_date = b.business_date AND s.batch_id = b.batch_id
    UNION ALL
    SELECT d.exception_id, s.source_event_id, s.source_segment_path
    FROM deposits_now AS d
    JOIN canonical.settlement_batches AS s
      ON s.business_date = d.business_date AND s.store_id = d.store_id AND s.currency = d.currency
    UNION ALL
    -- ...and every event of the transactions that ever named one of the deposit's batches.
    SELECT d.exception_id, e.event_id, e.segment_path
    FROM deposits_now AS d
    JOIN canonical.settlement_batches AS s
      ON s.business_date = d.business_date AND s.store_id = d.store_id AND s.currency = d.currency
    JOIN raw.payment_transactions AS named
      ON named.business_date = s.business_date AND named.batch_id = s.batch_id
    JOIN raw.payment_transactions AS e
      ON e.business_date = named.business_date AND e.transaction_id = named.transaction_id
    UNION ALL
    -- Every event of the transactions that ever named the batch: a void takes its sale out.
    SELECT g.exception_id, e.event_id, e.segment_path
    FROM gone AS g
    JOIN raw.payment_transactions AS named
      ON named.business_date = g.business_date AND named.batch_id = g.batch_id
    JOIN raw.payment_transactions AS e
      ON e.business_date = named.business_date AND e.transaction_id = named.transaction_id
),
newest_behind AS (
    -- Segment names start with their UTC creation time: the greatest name landed last.
    SELECT exception_id,
           arg_max(event_id, parse_filename(segment_path)) AS event_id,
           arg_max(segment_path, parse_filename(segment_path)) AS segment_path
    FROM landed_behind GROUP BY ALL
)
SELECT g.exception_id,
       'no longer found by the reconciliation of ' || g.business_date || ': '
           || coalesce((SELECT string_agg(said, '; ') FROM now_says AS n WHERE n.exception_id = g.exception_id),
                       'its source rows are no longer in the day') AS cleared_reason,
       nb.event_id, nb.segment_path
FROM gone AS g
LEFT JOIN newest_behind AS nb USING (exception_id);

UPDATE recon.exceptions AS e
SET still_detected = false,
    status = CASE WHEN e.status = 'open' THEN 'cleared' ELSE e.status END,
    cleared_at = now(),
    cleared_reason = c.cleared_reason,
    cleared_by_event_id = c.event_id,
    cleared_by_segment_path = c.segment_path,
    cleared_by_run_id = $run_id
FROM recon_cleared AS c
WHERE e.exception_id = c.exception_id;

INSERT INTO recon.exceptions (
    exception_id, kind, severity, business_date, store_id, currency, amount_at_risk,
    reported_amount, computed_amount, source_keys, detail, first_seen_business_date,
    last_seen_business_date, first_detected_at, last_detected_at, still_detected, status,
    resolution_note, resolved_by, resolved_at
)
SELECT
    d.exception_id, d.kind, d.severity, d.business_date, d.store_id, d.currency, d.amount_at_risk,
    d.reported_amount, d.computed_amount, d.source_keys, d.detail,
    d.business_date, d.business_date, now(), now(), true, 'open', NULL, NULL, NULL
FROM recon_detected AS d
ANTI JOIN recon.exceptions AS e USING (exception_id);

-- A high-severity exception raises one alert, once (keyed by the exception). The alerts already
-- raised are left out by an anti-join rather than ON CONFLICT DO NOTHING, which DuckDB runs as a
-- merge that first groups every incoming row by its key with all its columns (1.4 s of CPU for
-- the 1M day's 480,000 alerts). An exception id detected twice in one run (two rows of the same
-- kind and source keys; the insert above fails on its primary key unless the id was already in
-- recon.exceptions) still raises one alert: those ids alone keep ON CONFLICT DO NOTHING, which
-- takes one of the rows.
CREATE OR REPLACE TEMP VIEW recon_high_alerts AS
SELECT 'ALR_' || exception_id[5:] AS alert_id, exception_id, 'reconciliation_' || kind AS alert_kind,
       business_date,
       kind || ' of ' || amount_at_risk || ' ' || currency || ' (' || source_keys || '): ' || detail
           AS message
FROM recon_detected
WHERE severity = 'high';

CREATE OR REPLACE TEMP TABLE recon_detected_twice AS
SELECT exception_id FROM recon_high_alerts GROUP BY ALL HAVING count(*) > 1;

INSERT INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message)
SELECT alert_id, now(), 'high', alert_kind, business_date, message
FROM recon_high_alerts
ANTI JOIN ops.alerts USING (alert_id)
ANTI JOIN recon_detected_twice USING (exception_id);

INSERT INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message)
SELECT alert_id, now(), 'high', alert_kind, business_date, message
FROM recon_high_alerts
SEMI JOIN recon_detected_twice USING (exception_id)
ON CONFLICT DO NOTHING;

DROP TABLE recon_cleared;
DROP TABLE recon_detected_twice;
DROP VIEW recon_high_alerts;
DROP TABLE recon_detected;
DROP TABLE recon_refunds;
DROP TABLE recon_refunded_sales;
