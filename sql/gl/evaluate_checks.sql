-- The ledger's blocking checks for $first..$last, per journal, into gl.journal_checks. Run after
-- building the journals and again whenever accountants change exceptions: accepting or
-- resolving the exceptions that explain a settlement difference is what lets a day post.
CREATE OR REPLACE TEMP TABLE gl_check_journals AS
SELECT DISTINCT business_date, journal_key, legal_entity, currency
FROM gl.journal_lines
WHERE business_date BETWEEN $first AND $last;

-- Records kept out of the journals because a value is unmapped, by the journal they belong to
-- (NULL legal entity: an unknown store, which blocks every journal of its day).
CREATE OR REPLACE TEMP TABLE gl_unmapped_inputs AS
SELECT business_date, legal_entity, currency, source, mapping_issue, count(*) AS records
FROM (
    SELECT business_date, legal_entity, currency, 'canonical.pos_sales' AS source,
           coalesce(mapping_issue, 'status "' || ticket_status || '" not in mappings/transaction_statuses.csv') AS mapping_issue
    FROM canonical.pos_sales
    WHERE business_date BETWEEN $first AND $last AND (mapping_issue IS NOT NULL OR is_financial IS NULL)
    UNION ALL
    SELECT l.business_date, s.legal_entity, l.currency, 'canonical.pos_sale_lines', l.mapping_issue
    FROM canonical.pos_sale_lines AS l
    JOIN canonical.pos_sales AS s USING (business_date, ticket_id)
    WHERE l.business_date BETWEEN $first AND $last AND l.mapping_issue IS NOT NULL
      AND s.mapping_issue IS NULL
    UNION ALL
    SELECT d.business_date, s.legal_entity, d.currency, 'canonical.pos_tenders', d.mapping_issue
    FROM canonical.pos_tenders AS d
    JOIN canonical.pos_sales AS s USING (business_date, ticket_id)
    WHERE d.business_date BETWEEN $first AND $last AND d.mapping_issue IS NOT NULL
      AND s.mapping_issue IS NULL
    UNION ALL
    SELECT business_date, legal_entity, currency, 'canonical.payments',
           coalesce(mapping_issue, 'status "' || gateway_status || '" not in mappings/transaction_statuses.csv')
    FROM canonical.payments
    WHERE business_date BETWEEN $first AND $last AND (mapping_issue IS NOT NULL OR is_financial IS NULL)
    UNION ALL
    SELECT business_date, legal_entity, currency, 'canonical.settlement_batches', mapping_issue
    FROM canonical.settlement_batches
    WHERE business_date BETWEEN $first AND $last AND mapping_issue IS NOT NULL
    UNION ALL
    SELECT f.business_date, b.legal_entity, f.currency, 'canonical.settlement_fees', f.mapping_issue
    FROM canonical.settlement_fees AS f
    JOIN canonical.settlement_batches AS b USING (business_date, batch_id)
    WHERE f.business_date BETWEEN $first AND $last AND f.mapping_issue IS NOT NULL
      AND b.mapping_issue IS NULL
)
GROUP BY ALL;

-- A day whose records are all unmapped has no journal lines, yet must still show as blocked.
INSERT INTO gl_check_journals
SELECT DISTINCT u.business_date,
       coalesce(u.legal_entity, '(unknown)') || '-' || u.business_date || '-' || u.currency,
       coalesce(u.legal_entity, '(unknown)'), u.currency
FROM gl_unmapped_inputs AS u
WHERE NOT EXISTS (
    SELECT 1 FROM gl_check_journals AS j
    WHERE j.business_date = u.business_date
      AND (u.legal_entity IS NULL OR (j.legal_entity = u.legal_entity AND j.currency = u.currency)));

-- Per journal and store: card money the journal books against what Heartland settled, and the
-- reconciliation exceptions that account for the difference.
CREATE OR REPLACE TEMP TABLE gl_settlement_agreement AS
WITH receipts AS (
    SELECT s.business_date, l.journal_key, s.store_id, sum(s.amount) AS card_receipts
    FROM gl.journal_line_sources AS s
    JOIN gl.journal_lines AS l USING (business_date, line_key)
    WHERE s.business_date BETWEEN $first AND $last
      AND s.posting_kind IN ('tender', 'tip', 'customer_payment') AND s.transaction_id IS NOT NULL
    GROUP BY ALL
),
settled AS (
    SELECT business_date, legal_entity || '-' || business_date || '-' || currency AS journal_key,
           store_id, currency, sum(net_amount) AS settled_net
    FROM canonical.settlement_batches
    WHERE business_date BETWEEN $first AND $last
    GROUP BY ALL
),
explained AS (
    SELECT e.business_date, e.store_id, e.currency,
           sum(CASE e.kind
                   WHEN 'tender_without_gateway_transaction' THEN coalesce(e.reported_amount, 0)
                   WHEN 'gateway_transaction_without_tender' THEN -coalesce(e.computed_amount, 0)
                   WHEN 'tender_amount_difference' THEN e.reported_amount - e.computed_amount
                   WHEN 'settlement_discrepancy' THEN e.computed_amount - e.reported_amount
                   WHEN 'transactions_without_batch' THEN coalesce(e.computed_amount, 0)
                   WHEN 'batch_without_transactions' THEN -coalesce(e.reported_amount, 0)
                   ELSE 0
               END) FILTER (WHERE e.status = 'open') AS open_effect,
           count(*) FILTER (WHERE e.status = 'open') AS open_exceptions,
           sum(CASE e.kind
                   WHEN 'tender_without_gateway_transaction' THEN coalesce(e.reported_amount, 0)
                   WHEN 'gateway_transaction_without_tender' THEN -coalesce(e.computed_amount, 0)
                   WHEN 'tender_amount_difference' THEN e.reported_amount - e.computed_amount
                   WHEN 'settlement_discrepancy' THEN e.computed_amount - e.reported_amount
                   WHEN 'transactions_without_batch' THEN coalesce(e.computed_amount, 0)
                   WHEN 'batch_without_transactions' THEN -coalesce(e.reported_amount, 0)
                   ELSE 0
               END) FILTER (WHERE e.status <> 'open') AS reviewed_effect
    FROM recon.exceptions AS e
    WHERE e.business_date BETWEEN $first AND $last AND e.still_detected
    GROUP BY ALL
),
stores AS (
    SELECT business_date, journal_key, store_id FROM receipts
    UNION
    SELECT business_date, journal_key, store_id FROM settled
)
SELECT j.business_date, j.journal_key, j.currency, st.store_id,
       coalesce(r.card_receipts, 0) AS card_receipts, coalesce(s.settled_net, 0) AS settled_net,
       coalesce(x.open_effect, 0) AS open_effect, coalesce(x.open_exceptions, 0) AS open_exceptions,
       coalesce(x.reviewed_effect, 0) AS reviewed_effect,
       coalesce(t.absolute_tolerance, 0)
           + CAST(round(coalesce(t.relative_tolerance, 0) * abs(coalesce(s.settled_net, 0)), 2) AS DECIMAL(18, 2))
           AS tolerance
FROM stores AS st
JOIN gl_check_journals AS j USING (business_date, journal_key)
LEFT JOIN receipts AS r USING (business_date, journal_key, store_id)
LEFT JOIN settled AS s USING (business_date, journal_key, store_id)
LEFT JOIN explained AS x
  ON x.business_date = j.business_date AND x.store_id = st.store_id AND x.currency = j.currency
LEFT JOIN ref.recon_tolerances AS t ON t.currency = j.currency;

DELETE FROM gl.journal_checks WHERE business_date BETWEEN $first AND $last;

INSERT INTO gl.journal_checks (business_date, journal_key, check_name, passed, detail, evaluated_at)
SELECT j.business_date, j.journal_key, 'balanced',
       count(l.line_key) = 0
           OR (sum(l.amount) = 0 AND sum(l.base_amount) = 0 AND count(l.base_amount) = count(l.line_key)),
       CASE
           WHEN count(l.line_key) = 0 THEN 'no journal lines'
           WHEN count(l.base_amount) < count(l.line_key)
               THEN 'no base-currency amount: legal entity ' || j.legal_entity
                    || ' has no base currency in mappings/legal_entities.csv or no rate from '
                    || j.currency || ' on ' || j.business_date || ' in mappings/fx_rates.csv'
           ELSE 'debits ' || sum(l.debit_amount) || ', credits ' || sum(l.credit_amount) || ' ' || j.currency
                || '; base debits ' || sum(l.base_debit_amount) || ', credits ' || sum(l.base_credit_amount)
                || ' ' || any_value(l.base_currency)
       END,
       now()
FROM gl_check_journals AS j
LEFT JOIN gl.journal_lines AS l USING (business_date, journal_key)
GROUP BY j.business_date, j.journal_key, j.legal_entity, j.currency;

INSERT INTO gl.journal_checks (business_date, journal_key, check_name, passed, detail, evaluated_at)
WITH problems AS (
    SELECT business_date, journal_key, 'line ' || line_number || ': ' || mapping_issue AS problem
    FROM gl.journal_lines
    WHERE business_date BETWEEN $first AND $last AND mapping_issue IS NOT NULL
    UNION ALL
    SELECT l.business_date, l.journal_key,
           'line ' || l.line_number || ': main account ' || l.main_account
           || ' is not in mappings/gl_main_accounts.csv'
    FROM gl.journal_lines AS l
    ANTI JOIN ref.gl_main_accounts AS m USING (main_account)
    WHERE l.business_date BETWEEN $first AND $last AND l.main_account IS NOT NULL
    UNION ALL
    SELECT d.business_date, d.journal_key,
           'line ' || d.line_number || ': ' || d.pair || ' is not in mappings/gl_dimension_values.csv'
    FROM (
        SELECT business_date, journal_key, line_number,
               unnest(string_split(dimension_values, ', ')) AS pair
        FROM gl.journal_lines
        WHERE business_date BETWEEN $first AND $last AND dimension_values <> ''
    ) AS d
    ANTI JOIN ref.gl_dimension_values AS v
      ON v.dimension = split_part(d.pair, '=', 1) AND v.value = split_part(d.pair, '=', 2)
)
SELECT j.business_date, j.journal_key, 'accounts_in_chart', count(p.problem) = 0,
       CASE WHEN count(p.problem) = 0 THEN 'every line has a known main account and dimension values'
            ELSE count(p.problem) || ' problem(s): '
                 || array_to_string(list(p.problem ORDER BY p.problem)[1:10], '; ')
       END,
       now()
FROM gl_check_journals AS j
LEFT JOIN problems AS p USING (business_date, journal_key)
GROUP BY j.business_date, j.journal_key, j.legal_entity, j.currency;

INSERT INTO gl.journal_checks (business_date, journal_key, check_name, passed, detail, evaluated_at)
SELECT j.business_date, j.journal_key, 'inputs_mapped', count(u.records) = 0,
       CASE WHEN count(u.records) = 0 THEN 'every record of the day is mapped'
            ELSE sum(u.records) || ' record(s) left out of the journal until mapped: '
                 || array_to_string(list(u.records || ' × ' || u.source || ' (' || u.mapping_issue || ')'
                                         ORDER BY u.source, u.mapping_issue)[1:10], '; ')
       END,
       now()
FROM gl_check_journals AS j
LEFT JOIN gl_unmapped_inputs AS u
  ON u.business_date = j.business_date
 AND (u.legal_entity IS NULL OR (u.legal_entity = j.legal_entity AND u.currency = j.currency))
GROUP BY j.business_date, j.journal_key, j.legal_entity, j.currency;

INSERT INTO gl.journal_checks (business_date, journal_key, check_name, passed, detail, evaluated_at)
SELECT j.business_date, j.journal_key, 'agrees_with_settlement',
       coalesce(bool_and(abs(a.card_receipts - a.settled_net - a.reviewed_effect) <= a.tolerance), true),
       CASE
           WHEN count(a.store_id) = 0 THEN 'no card money in the journal and nothing settled'
           WHEN bool_and(abs(a.card_receipts - a.settled_net - a.reviewed_effect) <= a.tolerance)
               THEN 'card receipts agree with the settled net at every store within tolerance'
           ELSE array_to_string(list(
               a.store_id || ': card receipts ' || a.card_receipts || ', settled ' || a.settled_net
               || ', difference ' || (a.card_receipts - a.settled_net)
               || CASE WHEN a.reviewed_effect <> 0
                       THEN ' (' || a.reviewed_effect || ' explained by accepted or resolved exceptions)'
                       ELSE '' END
               || CASE WHEN a.open_exceptions > 0
                       THEN '; ' || a.open_exceptions || ' open exception(s) in recon.exceptions account for '
                            || a.open_effect || ' (accept or resolve them, then re-run the checks)'
                       ELSE '' END
               || CASE WHEN a.card_receipts - a.settled_net - a.reviewed_effect - a.open_effect <> 0
                       THEN '; unexplained ' || (a.card_receipts - a.settled_net - a.reviewed_effect - a.open_effect)
                       ELSE '' END
               ORDER BY a.store_id)
               FILTER (WHERE abs(a.card_receipts - a.settled_net - a.reviewed_effect) > a.tolerance), ' | ')
       END,
       now()
FROM gl_check_journals AS j
LEFT JOIN gl_settlement_agreement AS a USING (business_date, journal_key)
GROUP BY j.business_date, j.journal_key, j.legal_entity, j.currency;

-- risk_hold: a day (per legal entity) whose open high-severity risk alerts of payments, POS and
-- settlement exceed its limit is held until reviewers decide them (recon.exceptions status fraud,
-- not_fraud, accepted or resolved). The limit (mappings/risk_settings.csv; docs/risk.md says why)
-- is the larger of risk_hold_max_open_high_alerts and risk_hold_max_open_high_alerts_per_10k per
-- 10,000 of the legal entity's gateway transactions that day: alerts are not all fraud, so one
-- alert must not stop a day's books, and a busy day may carry as many as a clean day is allowed
-- (the clean-day target: under 1 per 10,000). The defaults when a setting is absent are
-- hl_d365_assets/risk/config.py's. An alert without a legal entity counts for every journal of
-- its day.
INSERT INTO gl.journal_checks (business_date, journal_key, check_name, passed, detail, evaluated_at)
WITH hold_settings AS (
    SELECT coalesce(max(value) FILTER (WHERE name = 'risk_hold_max_open_high_alerts'), 3) AS max_open,
           coalesce(max(value) FILTER (WHERE name = 'risk_hold_max_open_high_alerts_per_10k'), 1) AS per_10k
    FROM ref.risk_settings
),
day_volumes AS (
    SELECT business_date, legal_entity, count(*) AS transactions
    FROM canonical.payments
    WHERE business_date BETWEEN $first AND $last
    GROUP BY business_date, legal_entity
),
hold_limits AS (
    SELECT j.business_date, j.journal_key, j.legal_entity, coalesce(v.transactions, 0) AS transactions,
           greatest(s.max_open, floor(s.per_10k * coalesce(v.transactions, 0) / 10000))::BIGINT AS max_open,
           s.max_open::BIGINT AS count_limit,
           rtrim(rtrim(s.per_10k::DECIMAL(18, 4)::VARCHAR, '0'), '.') AS per_10k
    FROM gl_check_journals AS j
    CROSS JOIN hold_settings AS s
    LEFT JOIN day_volumes AS v USING (business_date, legal_entity)
),
open_high AS (
    SELECT a.business_date, a.legal_entity, a.alert_id, a.pattern, a.entity_kind, a.entity_id, a.score
    FROM risk.alerts AS a
    JOIN recon.exceptions AS e USING (exception_id)
    WHERE a.business_date BETWEEN $first AND $last AND a.domain <> 'payroll'
      AND a.severity = 'high' AND e.status = 'open'
)
SELECT l.business_date, l.journal_key, 'risk_hold', count(o.alert_id) <= any_value(l.max_open),
       CASE WHEN count(o.alert_id) = 0 THEN 'no open high-severity risk alert'
            WHEN count(o.alert_id) <= any_value(l.max_open)
                THEN count(o.alert_id) || ' open high-severity risk alert(s), within the limit of '
                     || any_value(l.max_open) || ' (reviewers decide them in recon.exceptions)'
            ELSE count(o.alert_id) || ' open high-severity risk alert(s), more than the limit of '
                 || any_value(l.max_open) || ' (the larger of ' || any_value(l.count_limit) || ' and '
                 || any_value(l.per_10k) || ' per 10,000 of the day''s ' || any_value(l.transactions)
                 || ' gateway transactions, mappings/risk_settings.csv): '
                 || array_to_string(list(o.alert_id || ' ' || o.pattern || ' ' || o.entity_kind || ' '
                                         || o.entity_id || ' score ' || round(o.score)::BIGINT
                                         ORDER BY o.score DESC, o.alert_id)[1:10], '; ')
                 || ' (set their recon.exceptions status to fraud or not_fraud, then re-run the checks)'
       END,
       now()
FROM hold_limits AS l
LEFT JOIN open_high AS o
  ON o.business_date = l.business_date AND (o.legal_entity IS NULL OR o.legal_entity = l.legal_entity)
GROUP BY l.business_date, l.journal_key;

DROP TABLE gl_settlement_agreement;
DROP TABLE gl_unmapped_inputs;
DROP TABLE gl_check_journals;
