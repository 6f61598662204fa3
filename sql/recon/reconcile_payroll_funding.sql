-- Rebuild recon.payroll_funding for the check dates $first..$last. A funding debit is found by
-- its reference (PAYROLL <run id> NET / TAX, on any day); else by its exact amount within the
-- funding window (5 days before to 2 days after the check date), each debit paying one component
-- at most and one naming another run never taken; else finance's entry (payroll_funding.csv).
CREATE OR REPLACE TEMP TABLE payroll_expected AS
SELECT r.business_date, r.run_key, r.client_id, r.pay_group, r.payroll_run_id, r.legal_entity,
       r.currency, c.component, c.expected_reference, c.expected_amount
FROM canonical.payroll_runs AS r,
LATERAL (SELECT unnest([
    {'component': 'net_pay', 'expected_reference': 'PAYROLL ' || r.payroll_run_id || ' NET',
     'expected_amount': r.net_pay_amount},
    {'component': 'taxes', 'expected_reference': 'PAYROLL ' || r.payroll_run_id || ' TAX',
     'expected_amount': r.ee_tax_amount + r.er_tax_amount}
], recursive := true)) AS c
WHERE r.business_date BETWEEN $first AND $last;

CREATE OR REPLACE TEMP TABLE payroll_bank_debits AS
SELECT event_id, booking_date, currency, -amount AS debit,
       upper(regexp_replace(trim(coalesce(bank_reference, '')), '\s+', ' ', 'g')) AS reference
FROM raw.bank_statement_lines
WHERE amount < 0;

CREATE OR REPLACE TEMP TABLE payroll_funding_matches AS
WITH by_reference AS (
    SELECT e.run_key, e.component, 'reference' AS match_method, b.event_id, b.booking_date, b.debit
    FROM payroll_expected AS e
    JOIN payroll_bank_debits AS b ON b.reference = upper(e.expected_reference)
),
unreferenced AS (
    SELECT e.* FROM payroll_expected AS e
    WHERE e.expected_amount <> 0
      AND NOT EXISTS (SELECT 1 FROM by_reference AS m
                      WHERE m.run_key = e.run_key AND m.component = e.component)
),
candidates AS (
    SELECT e.run_key, e.component, b.event_id, b.booking_date, b.debit,
           abs(date_diff('day', e.business_date, b.booking_date)) AS days_off
    FROM unreferenced AS e
    JOIN payroll_bank_debits AS b
      ON b.debit = e.expected_amount AND b.currency = e.currency
     AND b.booking_date BETWEEN e.business_date - INTERVAL 5 DAY AND e.business_date + INTERVAL 2 DAY
    WHERE b.reference NOT LIKE 'PAYROLL %'
),
by_amount AS (
    -- One debit pays one component, one component takes one debit: nearest the check date first.
    SELECT run_key, component, 'amount' AS match_method, event_id, booking_date, debit
    FROM candidates
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY days_off, run_key, component) = 1
        AND row_number() OVER (PARTITION BY run_key, component ORDER BY days_off, event_id) = 1
)
SELECT * FROM by_reference
UNION ALL
SELECT * FROM by_amount;

DELETE FROM recon.payroll_funding WHERE business_date BETWEEN $first AND $last;

INSERT INTO recon.payroll_funding
WITH banked AS (
    SELECT run_key, component, any_value(match_method) AS match_method, sum(debit) AS funded,
           string_agg(DISTINCT CAST(booking_date AS VARCHAR), ', ') AS dates,
           string_agg(event_id, ', ' ORDER BY event_id) AS event_ids
    FROM payroll_funding_matches
    GROUP BY ALL
),
entered AS (
    SELECT client_id, pay_group, payroll_run_id, component, sum(funded_amount) AS funded,
           string_agg(DISTINCT CAST(funding_date AS VARCHAR), ', ') AS dates
    FROM ref.payroll_funding
    GROUP BY ALL
),
judged AS (
    SELECT e.*,
           coalesce(b.funded, f.funded) AS funded_amount,
           CASE WHEN b.funded IS NOT NULL THEN 'bank_statement'
                WHEN f.funded IS NOT NULL THEN 'finance_entry' END AS funding_source,
           CASE WHEN b.funded IS NOT NULL THEN b.match_method
                WHEN f.funded IS NOT NULL THEN 'finance_entry' END AS match_method,
           coalesce(b.dates, f.dates) AS funding_dates, b.event_ids
    FROM payroll_expected AS e
    LEFT JOIN banked AS b ON b.run_key = e.run_key AND b.component = e.component
    LEFT JOIN entered AS f
      ON f.client_id = e.client_id AND f.pay_group = e.pay_group
     AND f.payroll_run_id = e.payroll_run_id AND f.component = e.component
)
SELECT business_date, run_key, payroll_run_id, legal_entity, currency, component,
       expected_reference, expected_amount, funded_amount, funding_source, match_method,
       funding_dates, event_ids, funded_amount - expected_amount,
       CASE WHEN funded_amount IS NULL AND expected_amount = 0 THEN 'matched'
            WHEN funded_amount IS NULL THEN 'missing'
            WHEN funded_amount = expected_amount THEN 'matched'
            ELSE 'difference' END,
       now()
FROM judged;

DROP TABLE payroll_funding_matches;
DROP TABLE payroll_bank_debits;
DROP TABLE payroll_expected;
