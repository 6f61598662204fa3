-- Summarise gl_postings (stage_postings.sql) into gl.journal_lines and gl.journal_line_sources
-- for $first..$last: choose each posting's account and dimensions, sum per account display
-- value, convert to base currency, and post the conversion rounding.

-- The account of each (day, rule kind, value, store): the newest rule valid on the day, an exact
-- value before the '*' default; dimensions from the store's newest values on the day.
CREATE OR REPLACE TEMP TABLE gl_accounts AS
WITH keys AS (
    SELECT DISTINCT business_date, rule_kind, match_value, store_id FROM gl_postings
    UNION
    SELECT DISTINCT business_date, 'rounding', '*', NULL FROM gl_postings
),
ruled AS (
    SELECT k.*, r.main_account, coalesce(r.dimensions, 'none') AS dimensions
    FROM keys AS k
    LEFT JOIN ref.gl_posting_rules AS r
      ON r.posting_kind = k.rule_kind
     AND r.match_value IN (k.match_value, '*')
     AND r.valid_from <= k.business_date
    QUALIFY row_number() OVER (
        PARTITION BY k.business_date, k.rule_kind, k.match_value, k.store_id
        ORDER BY r.match_value = '*', r.valid_from DESC) = 1
),
store_values AS (
    SELECT k.business_date, k.store_id, d.dimension, arg_max(d.value, d.valid_from) AS value
    FROM (SELECT DISTINCT business_date, store_id FROM keys WHERE store_id IS NOT NULL) AS k
    JOIN ref.gl_store_dimensions AS d
      ON d.store_id = k.store_id AND d.valid_from <= k.business_date
    GROUP BY ALL
),
segments AS (
    SELECT r.business_date, r.rule_kind, r.match_value, r.store_id, s.position, s.segment,
           CASE
               WHEN s.segment = 'MainAccount' THEN r.main_account
               WHEN r.dimensions = 'store' THEN v.value
               ELSE ''
           END AS value
    FROM ruled AS r
    CROSS JOIN ref.gl_account_structure AS s
    LEFT JOIN store_values AS v
      ON v.business_date = r.business_date AND v.store_id IS NOT DISTINCT FROM r.store_id
     AND v.dimension = s.segment
    WHERE r.main_account IS NOT NULL
),
displayed AS (
    SELECT business_date, rule_kind, match_value, store_id,
           list(value ORDER BY position) AS segment_values,
           string_agg(segment || '=' || value, ', ' ORDER BY position)
               FILTER (WHERE segment <> 'MainAccount' AND value <> '') AS dimension_values,
           string_agg(segment, ', ' ORDER BY position)
               FILTER (WHERE value IS NULL) AS missing_segments
    FROM segments
    GROUP BY ALL
)
SELECT r.business_date, r.rule_kind, r.match_value, r.store_id, r.main_account,
       display_account(d.segment_values) AS account_display_value,
       coalesce(d.dimension_values, '') AS dimension_values,
       CASE
           WHEN r.main_account IS NULL
               THEN 'no rule in mappings/gl_posting_rules.csv for posting_kind ' || r.rule_kind
                    || ' and match_value ' || coalesce(r.match_value, '(empty)') || ' valid on '
                    || r.business_date
           WHEN d.missing_segments IS NOT NULL
               THEN 'store ' || coalesce(r.store_id, '(none)') || ' has no ' || d.missing_segments
                    || ' value in mappings/gl_store_dimensions.csv valid on ' || r.business_date
       END AS mapping_issue
FROM ruled AS r
LEFT JOIN displayed AS d
  ON d.business_date = r.business_date AND d.rule_kind = r.rule_kind
 AND d.match_value IS NOT DISTINCT FROM r.match_value AND d.store_id IS NOT DISTINCT FROM r.store_id;

-- Each posting's line: one per journal and account display value (or per unmapped value). Keyed
-- on the few distinct (day, entity, currency, rule, value, store) combinations, not per posting.
CREATE OR REPLACE TEMP TABLE gl_line_ids AS
WITH keys AS (
    SELECT DISTINCT business_date, legal_entity, currency, rule_kind, match_value, store_id
    FROM gl_postings
),
grouped AS (
    SELECT k.*, a.main_account, a.account_display_value, a.dimension_values, a.mapping_issue,
           CASE WHEN a.mapping_issue IS NULL THEN a.account_display_value
                ELSE 'UNMAPPED ' || k.rule_kind || ' ' || coalesce(k.match_value, '') || ' '
                     || coalesce(k.store_id, '')
           END AS line_group
    FROM keys AS k
    JOIN gl_accounts AS a
      ON a.business_date = k.business_date AND a.rule_kind = k.rule_kind
     AND a.match_value IS NOT DISTINCT FROM k.match_value
     AND a.store_id IS NOT DISTINCT FROM k.store_id
)
SELECT *,
       'JL_' || upper(md5(legal_entity || '|' || business_date || '|' || currency || '|' || line_group)[1:16])
           AS line_key
FROM grouped;

DELETE FROM gl.journal_line_sources WHERE business_date BETWEEN $first AND $last;
DELETE FROM gl.journal_lines WHERE business_date BETWEEN $first AND $last;

-- One row per line, posting kind and source record. Only sales tax can bring two postings of
-- one record to one line (two tax codes of a ticket on one account), so only it is summed.
INSERT INTO gl.journal_line_sources
    (business_date, line_key, posting_kind, source_table, source_id, transaction_id, store_id, amount)
SELECT p.business_date, l.line_key, p.posting_kind, p.source_table, p.source_id, p.transaction_id,
       p.store_id, p.amount
FROM gl_postings AS p
JOIN gl_line_ids AS l
  ON l.business_date = p.business_date AND l.legal_entity = p.legal_entity
 AND l.currency = p.currency AND l.rule_kind = p.rule_kind
 AND l.match_value IS NOT DISTINCT FROM p.match_value AND l.store_id IS NOT DISTINCT FROM p.store_id
WHERE p.posting_kind <> 'sales_tax'
UNION ALL
SELECT p.business_date, l.line_key, p.posting_kind, p.source_table, p.source_id,
       any_value(p.transaction_id), p.store_id, sum(p.amount)
FROM gl_postings AS p
JOIN gl_line_ids AS l
  ON l.business_date = p.business_date AND l.legal_entity = p.legal_entity
 AND l.currency = p.currency AND l.rule_kind = p.rule_kind
 AND l.match_value IS NOT DISTINCT FROM p.match_value AND l.store_id IS NOT DISTINCT FROM p.store_id
WHERE p.posting_kind = 'sales_tax'
GROUP BY p.business_date, l.line_key, p.posting_kind, p.source_table, p.source_id, p.store_id;

INSERT INTO gl.journal_lines (
    business_date, journal_key, legal_entity, currency, base_currency, fx_rate, line_key,
    line_number, line_type, main_account, account_display_value, dimension_values, posting_kinds,
    text, amount, debit_amount, credit_amount, base_amount, base_debit_amount, base_credit_amount,
    source_count, mapping_issue)
WITH per_line AS (
    SELECT business_date, line_key, sum(amount) AS amount, count(*) AS source_count,
           string_agg(DISTINCT posting_kind, ', ' ORDER BY posting_kind) AS posting_kinds
    FROM gl.journal_line_sources
    WHERE business_date BETWEEN $first AND $last
    GROUP BY ALL
),
summed AS (
    SELECT i.business_date, i.legal_entity, i.currency, i.line_group, i.main_account,
           i.account_display_value, i.dimension_values, i.mapping_issue, p.posting_kinds,
           p.amount, p.source_count
    FROM per_line AS p
    JOIN (SELECT DISTINCT business_date, legal_entity, currency, line_group, line_key,
                 main_account, account_display_value, dimension_values, mapping_issue
          FROM gl_line_ids) AS i USING (business_date, line_key)
),
rated AS (
    SELECT s.*, le.base_currency,
           (SELECT arg_max(x.rate, x.rate_date) FROM ref.fx_rates AS x
            WHERE x.from_currency = s.currency AND x.to_currency = le.base_currency
              AND x.rate_date <= s.business_date) AS fx_rate
    FROM summed AS s
    LEFT JOIN (SELECT legal_entity, arg_max(base_currency, valid_from) AS base_currency
               FROM ref.legal_entities GROUP BY ALL) AS le USING (legal_entity)
),
converted AS (
    SELECT *, to_base_amount(amount, fx_rate) AS base_amount FROM rated
),
rounding AS (
    -- Converting each line rounds it to the cent; the journal's leftover goes to rounding.
    SELECT c.business_date, c.legal_entity, c.currency, 'ROUNDING' AS line_group,
           a.main_account, a.account_display_value, a.dimension_values, a.mapping_issue,
           'rounding' AS posting_kinds, CAST(0 AS DECIMAL(18, 2)) AS amount, 0 AS source_count,
           any_value(c.base_currency) AS base_currency, any_value(c.fx_rate) AS fx_rate,
           -sum(c.base_amount) AS base_amount
    FROM converted AS c
    JOIN gl_accounts AS a
      ON a.business_date = c.business_date AND a.rule_kind = 'rounding' AND a.store_id IS NULL
    GROUP BY ALL
    HAVING sum(c.base_amount) <> 0
),
lines AS (
    SELECT business_date, legal_entity, currency, line_group, main_account, account_display_value,
           dimension_values, mapping_issue, posting_kinds, amount, source_count, base_currency,
           fx_rate, base_amount, 'posting' AS line_type
    FROM converted
    UNION ALL
    SELECT business_date, legal_entity, currency, line_group, main_account, account_display_value,
           dimension_values, mapping_issue, posting_kinds, amount, source_count, base_currency,
           fx_rate, base_amount, 'rounding'
    FROM rounding
)
SELECT l.business_date,
       l.legal_entity || '-' || l.business_date || '-' || l.currency,
       l.legal_entity, l.currency, l.base_currency, l.fx_rate,
       'JL_' || upper(md5(l.legal_entity || '|' || l.business_date || '|' || l.currency || '|' || l.line_group)[1:16]),
       row_number() OVER (
           PARTITION BY l.business_date, l.legal_entity, l.currency
           ORDER BY l.line_type, l.line_group),
       l.line_type, l.main_account, l.account_display_value, l.dimension_values, l.posting_kinds,
       coalesce(m.name, 'Unmapped') || ' ' || l.business_date,
       l.amount, greatest(l.amount, 0), greatest(-l.amount, 0),
       l.base_amount, greatest(l.base_amount, 0), greatest(-l.base_amount, 0),
       l.source_count, l.mapping_issue
FROM lines AS l
LEFT JOIN ref.gl_main_accounts AS m USING (main_account);

-- The customer payment journal's lines: each order payment against its customer and order.
DELETE FROM gl.customer_payments WHERE business_date BETWEEN $first AND $last;
INSERT INTO gl.customer_payments
    (business_date, journal_key, legal_entity, currency, transaction_id, sales_order_number,
     customer_account, payment_method_code, card_brand, amount, fx_rate, offset_account)
SELECT o.business_date, o.legal_entity || '-' || o.business_date || '-' || o.currency,
       o.legal_entity, o.currency, o.transaction_id, o.sales_order_number, o.customer_account,
       o.payment_method, o.card_brand, o.amount,
       (SELECT arg_max(x.rate, x.rate_date) FROM ref.fx_rates AS x
        JOIN ref.legal_entities AS le ON le.legal_entity = o.legal_entity
        WHERE x.from_currency = o.currency AND x.to_currency = le.base_currency
          AND x.rate_date <= o.business_date),
       a.account_display_value
FROM gl_order_payments AS o
LEFT JOIN gl_accounts AS a
  ON a.business_date = o.business_date AND a.rule_kind = 'customer_payment' AND a.match_value = '*'
 AND a.store_id IS NOT DISTINCT FROM o.store_id;

DROP TABLE gl_line_ids;
DROP TABLE gl_accounts;
DROP TABLE gl_postings;
DROP TABLE gl_tickets;
DROP TABLE gl_tenders;
DROP TABLE gl_ticket_lines;
DROP TABLE gl_order_payments;
DROP TABLE gl_blocked_batches;
DROP TABLE gl_blocked_tickets;
