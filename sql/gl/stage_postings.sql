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

-- Per ticket and tax code: net sales (price less discount), tax and cost of its lines. A gift
-- card sold (line_type GIFT_CARD) is no sale yet: its price goes to the gift card liability
-- (gift_card_sold), and becomes revenue only when the card pays for goods.
CREATE OR REPLACE TEMP TABLE gl_ticket_lines AS
SELECT l.business_date, l.ticket_id, upper(l.d365_sales_tax_code) AS tax_code,
       coalesce(sum(l.line_total - l.tax_amount) FILTER (WHERE l.line_type IS DISTINCT FROM 'GIFT_CARD'), 0)
           AS net_sales,
       coalesce(sum(l.line_total - l.tax_amount) FILTER (WHERE l.line_type = 'GIFT_CARD'), 0)
           AS gift_cards_sold,
       sum(l.tax_amount) AS tax,
       sum(coalesce(l.cost_total, 0)) AS cost
FROM canonical.pos_sale_lines AS l
SEMI JOIN gl_tickets AS t USING (business_date, ticket_id)
WHERE l.business_date BETWEEN $first AND $last
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE gl_tenders AS
SELECT d.business_date, d.ticket_id, d.tender_id, upper(d.payment_method_code) AS payment_method,
       d.gateway_transaction_id, d.amount, d.tip_amount
FROM canonical.pos_tenders AS d
SEMI JOIN gl_tickets AS t USING (business_date, ticket_id)
WHERE d.business_date BETWEEN $first AND $last;

-- Card payments of D365 sales orders (phone and web orders paid through Heartland): gateway
-- transactions whose reference is an order D365 holds, with no POS tender behind them.
-- The order of a payment: its reference, or the order GP named in its status_url notification
-- (link_data.reference); a refund's is its sale's, so refunding an order's payment is posted as a
-- reversing line of the customer payment, never an edit of the posted one.
CREATE OR REPLACE TEMP TABLE gl_order_payments AS
WITH window_payments AS (
    SELECT * FROM canonical.payments WHERE business_date BETWEEN $first AND $last
),
notified_orders AS (
    -- Order payments only: a small table.
    SELECT transaction_id, any_value(order_reference) AS order_reference
    FROM raw.payment_notifications WHERE order_reference IS NOT NULL GROUP BY ALL
),
refunded_sales AS (
    -- Only the sales the window's refunds name, on whatever day they were captured.
    SELECT DISTINCT transaction_id, reference FROM canonical.payments
    WHERE transaction_type = 'SALE'
      AND transaction_id IN (SELECT parent_transaction_id FROM window_payments
                             WHERE transaction_type = 'REFUND')
),
ordered AS (
    SELECT p.*, coalesce(n.order_reference, sale_n.order_reference, sale.reference, p.reference)
               AS order_reference
    FROM window_payments AS p
    LEFT JOIN notified_orders AS n ON n.transaction_id = p.transaction_id
    LEFT JOIN refunded_sales AS sale
      ON p.transaction_type = 'REFUND' AND sale.transaction_id = p.parent_transaction_id
    LEFT JOIN notified_orders AS sale_n
      ON p.transaction_type = 'REFUND' AND sale_n.transaction_id = p.parent_transaction_id
)
SELECT p.business_date, p.legal_entity, p.currency, p.store_id, p.transaction_id,
       upper(p.payment_method_code) AS payment_method, p.card_brand, p.amount,
       o.SalesOrderNumber AS sales_order_number,
       o.InvoiceCustomerAccountNumber AS customer_account
FROM ordered AS p
JOIN raw.d365_sales_orders AS o
  ON o.SalesOrderNumber = p.order_reference AND lower(o.dataAreaId) = p.legal_entity
 AND upper(o.CurrencyCode) = p.currency
WHERE p.business_date BETWEEN $first AND $last
  AND p.is_financial AND p.mapping_issue IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM canonical.pos_tenders AS t
      WHERE t.business_date = p.business_date AND t.gateway_transaction_id = p.transaction_id);

CREATE OR REPLACE TEMP TABLE gl_postings AS
WITH ticket_totals AS (
    SELECT t.*, coalesce(s.net_sales, 0) AS net_sales, coalesce(s.cost, 0) AS cost,
           coalesce(s.gift_cards_sold, 0) AS gift_cards_sold,
           coalesce(s.net_sales, 0) + coalesce(s.gift_cards_sold, 0) + coalesce(s.tax, 0)
               - coalesce(d.tendered, 0) AS over_short
    FROM gl_tickets AS t
    LEFT JOIN (SELECT business_date, ticket_id, sum(net_sales) AS net_sales, sum(tax) AS tax,
                      sum(gift_cards_sold) AS gift_cards_sold, sum(cost) AS cost
               FROM gl_ticket_lines GROUP BY ALL) AS s USING (business_date, ticket_id)
    LEFT JOIN (SELECT business_date, ticket_id, sum(amount) AS tendered
               FROM gl_tenders GROUP BY ALL) AS d USING (business_date, ticket_id)
),
ticket_postings AS (
    -- Revenue (or returns), gift cards sold, cost of goods sold, inventory and any over/short,
    -- one pass.
    SELECT business_date, legal_entity, currency, store_id, p.kind AS posting_kind,
           p.kind AS rule_kind, p.match_value, 'canonical.pos_sales' AS source_table,
           ticket_id AS source_id, NULL::VARCHAR AS transaction_id, p.amount,
           ticket_id AS balance_unit
    FROM (
        SELECT *, unnest([
            {'kind': CASE ticket_type WHEN 'RETURN' THEN 'returns' ELSE 'revenue' END,
             'match_value': department, 'amount': -net_sales},
            {'kind': 'gift_card_sold', 'match_value': '*', 'amount': -gift_cards_sold},
            {'kind': 'cogs', 'match_value': department, 'amount': cost},
            {'kind': 'inventory', 'match_value': department, 'amount': -cost},
            {'kind': 'cash_over_short', 'match_value': '*', 'amount': over_short}
        ]) AS p
        FROM ticket_totals
    )
),
tax_postings AS (
    SELECT t.business_date, t.legal_entity, t.currency, t.store_id, 'sales_tax', 'sales_tax',
           s.tax_code, 'canonical.pos_sales', t.ticket_id, NULL, -s.tax, t.ticket_id
    FROM gl_ticket_lines AS s
    JOIN gl_tickets AS t USING (business_date, ticket_id)
    WHERE s.tax <> 0
),
tender_postings AS (
    -- Each tender into its payment method's account; a tip rides on the card payment into
    -- clearing and is owed to staff.
    SELECT d.business_date, t.legal_entity, t.currency, t.store_id, p.kind, p.rule_kind,
           p.match_value, 'canonical.pos_tenders', d.tender_id, d.gateway_transaction_id,
           p.amount, d.ticket_id
    FROM (
        SELECT *, unnest(CASE WHEN tip_amount <> 0 THEN [
            {'kind': 'tender', 'rule_kind': 'tender', 'match_value': payment_method, 'amount': amount},
            {'kind': 'tip', 'rule_kind': 'tender', 'match_value': payment_method, 'amount': tip_amount},
            {'kind': 'tips_payable', 'rule_kind': 'tip', 'match_value': '*', 'amount': -tip_amount}
        ] ELSE [
            {'kind': 'tender', 'rule_kind': 'tender', 'match_value': payment_method, 'amount': amount}
        ] END) AS p
        FROM gl_tenders
    ) AS d
    JOIN gl_tickets AS t USING (business_date, ticket_id)
),
order_payment_postings AS (
    -- The card money comes into clearing; it waits on "customer payments to apply" until the
    -- customer payment journal (posted alongside) applies it to the customer's account.
    SELECT business_date, legal_entity, currency, store_id, p.kind, p.rule_kind, p.match_value,
           'canonical.payments', transaction_id, transaction_id, p.amount, transaction_id
    FROM (
        SELECT *, unnest([
            {'kind': 'customer_payment', 'rule_kind': 'tender', 'match_value': payment_method,
             'amount': amount},
            {'kind': 'customer_payment_to_apply', 'rule_kind': 'customer_payment',
             'match_value': '*', 'amount': -amount}
        ]) AS p
        FROM gl_order_payments
    )
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
UNION ALL SELECT * FROM tax_postings
UNION ALL SELECT * FROM tender_postings WHERE amount <> 0
UNION ALL SELECT * FROM order_payment_postings WHERE amount <> 0
UNION ALL SELECT * FROM batch_postings WHERE amount <> 0
UNION ALL SELECT * FROM batch_differences;
