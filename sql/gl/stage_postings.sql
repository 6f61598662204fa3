-- Every posting the records of $first..$last call for, one row per source record and posting
-- kind (signed: positive debit), before any account is chosen. Each ticket and each batch
-- balances on its own, so any mix of them makes a balanced journal.
--
-- A ticket or batch with any mapping issue (unmapped payment method, tax code, status, store or
-- rate) is left out whole: the inputs_mapped check names it and blocks the day.
CREATE OR REPLACE TEMP TABLE gl_blocked_tickets AS
SELECT DISTINCT business_date, ticket_id
FROM (
    SELECT business_date, ticket_id FROM canonical.pos_sales
    WHERE business_date BETWEEN $first AND $last AND (mapping_issue IS NOT NULL OR is_financial IS NULL)
    UNION ALL
    SELECT business_date, ticket_id FROM canonical.pos_sale_lines
    WHERE business_date BETWEEN $first AND $last AND mapping_issue IS NOT NULL
    UNION ALL
    SELECT business_date, ticket_id FROM canonical.pos_tenders
    WHERE business_date BETWEEN $first AND $last AND mapping_issue IS NOT NULL
);

CREATE OR REPLACE TEMP TABLE gl_blocked_batches AS
SELECT DISTINCT business_date, batch_id
FROM (
    SELECT business_date, batch_id FROM canonical.settlement_batches
    WHERE business_date BETWEEN $first AND $last AND mapping_issue IS NOT NULL
    UNION ALL
    SELECT business_date, batch_id FROM canonical.settlement_fees
    WHERE business_date BETWEEN $first AND $last AND mapping_issue IS NOT NULL
);

CREATE OR REPLACE TEMP TABLE gl_tickets AS
SELECT t.business_date, t.ticket_id, t.store_id, t.legal_entity, t.currency, t.ticket_type,
       upper(s.department) AS department
FROM canonical.pos_sales AS t
JOIN (SELECT store_id, arg_max(department, valid_from) AS department FROM ref.stores GROUP BY ALL) AS s
  USING (store_id)
WHERE t.business_date BETWEEN $first AND $last
  AND t.is_financial
  AND NOT EXISTS (
      SELECT 1 FROM gl_blocked_tickets AS b
      WHERE b.business_date = t.business_date AND b.ticket_id = t.ticket_id);

CREATE OR REPLACE TEMP TABLE gl_postings AS
WITH sale_lines AS (
    SELECT t.business_date, t.legal_entity, t.currency, t.store_id, t.ticket_id, t.ticket_type,
           t.department, l.d365_sales_tax_code,
           sum(l.line_total - l.tax_amount) AS net_sales,
           sum(l.tax_amount) AS tax,
           sum(coalesce(l.cost_total, 0)) AS cost
    FROM canonical.pos_sale_lines AS l
    JOIN gl_tickets AS t USING (business_date, ticket_id)
    GROUP BY ALL
),
ticket_postings AS (
    SELECT business_date, legal_entity, currency, store_id,
           CASE ticket_type WHEN 'RETURN' THEN 'returns' ELSE 'revenue' END AS posting_kind,
           CASE ticket_type WHEN 'RETURN' THEN 'returns' ELSE 'revenue' END AS rule_kind,
           department AS match_value, 'canonical.pos_sales' AS source_table,
           ticket_id AS source_id, NULL::VARCHAR AS transaction_id, -sum(net_sales) AS amount,
           ticket_id AS balance_unit
    FROM sale_lines GROUP BY ALL
    UNION ALL
    SELECT business_date, legal_entity, currency, store_id, 'sales_tax', 'sales_tax',
           upper(d365_sales_tax_code), 'canonical.pos_sales', ticket_id, NULL, -sum(tax), ticket_id
    FROM sale_lines GROUP BY ALL
    UNION ALL
    SELECT business_date, legal_entity, currency, store_id, 'cogs', 'cogs', department,
           'canonical.pos_sales', ticket_id, NULL, sum(cost), ticket_id
    FROM sale_lines GROUP BY ALL
    UNION ALL
    SELECT business_date, legal_entity, currency, store_id, 'inventory', 'inventory', department,
           'canonical.pos_sales', ticket_id, NULL, -sum(cost), ticket_id
    FROM sale_lines GROUP BY ALL
    UNION ALL
    SELECT d.business_date, t.legal_entity, t.currency, t.store_id, 'tender', 'tender',
           upper(d.payment_method_code), 'canonical.pos_tenders', d.tender_id,
           d.gateway_transaction_id, d.amount, d.ticket_id
    FROM canonical.pos_tenders AS d
    JOIN gl_tickets AS t USING (business_date, ticket_id)
),
tips AS (
    -- A tip rides on the card payment into clearing and is owed to staff.
    SELECT d.business_date, t.legal_entity, t.currency, t.store_id,
           CASE rule_kind WHEN 'tender' THEN 'tip' ELSE 'tips_payable' END AS posting_kind,
           rule_kind, CASE rule_kind WHEN 'tender' THEN upper(d.payment_method_code) ELSE '*' END,
           'canonical.pos_tenders', d.tender_id, d.gateway_transaction_id,
           CASE rule_kind WHEN 'tender' THEN d.tip_amount ELSE -d.tip_amount END, d.ticket_id
    FROM canonical.pos_tenders AS d
    JOIN gl_tickets AS t USING (business_date, ticket_id)
    CROSS JOIN (VALUES ('tender'), ('tip')) AS sides(rule_kind)
    WHERE d.tip_amount <> 0
),
over_short AS (
    -- Whatever keeps a ticket from balancing (tendered more or less than its lines' total).
    SELECT business_date, legal_entity, currency, store_id, 'cash_over_short', 'cash_over_short',
           '*', 'canonical.pos_sales', balance_unit, NULL, -sum(amount), balance_unit
    FROM ticket_postings
    GROUP BY business_date, legal_entity, currency, store_id, balance_unit
    HAVING sum(amount) <> 0
),
batches AS (
    SELECT b.*
    FROM canonical.settlement_batches AS b
    WHERE b.business_date BETWEEN $first AND $last
      AND NOT EXISTS (
          SELECT 1 FROM gl_blocked_batches AS x
          WHERE x.business_date = b.business_date AND x.batch_id = b.batch_id)
),
batch_postings AS (
    -- Heartland settles each brand's net out of card clearing, keeps its fees and pays the rest.
    SELECT f.business_date, b.legal_entity, b.currency, b.store_id, 'settlement' AS posting_kind,
           'tender' AS rule_kind, upper(f.payment_method_code) AS match_value,
           'canonical.settlement_fees' AS source_table, f.batch_id || '/' || f.card_brand AS source_id,
           NULL::VARCHAR AS transaction_id, -f.net_amount AS amount, f.batch_id AS balance_unit
    FROM canonical.settlement_fees AS f
    JOIN batches AS b USING (business_date, batch_id)
    UNION ALL
    SELECT f.business_date, b.legal_entity, b.currency, b.store_id, 'merchant_fees',
           'merchant_fees', upper(f.payment_method_code), 'canonical.settlement_fees',
           f.batch_id || '/' || f.card_brand, NULL, f.fees_amount, f.batch_id
    FROM canonical.settlement_fees AS f
    JOIN batches AS b USING (business_date, batch_id)
    UNION ALL
    SELECT business_date, legal_entity, currency, store_id, 'deposit', 'deposit', upper(currency),
           'canonical.settlement_batches', batch_id, NULL, deposit_amount, batch_id
    FROM batches
),
batch_differences AS (
    -- A deposit that is not the settled net less fees: the difference waits in suspense.
    SELECT business_date, legal_entity, currency, store_id, 'settlement_difference',
           'settlement_difference', '*', 'canonical.settlement_batches', balance_unit, NULL,
           -sum(amount), balance_unit
    FROM batch_postings
    GROUP BY business_date, legal_entity, currency, store_id, balance_unit
    HAVING sum(amount) <> 0
)
SELECT * FROM ticket_postings WHERE amount <> 0
UNION ALL SELECT * FROM tips
UNION ALL SELECT * FROM over_short
UNION ALL SELECT * FROM batch_postings WHERE amount <> 0
UNION ALL SELECT * FROM batch_differences;
