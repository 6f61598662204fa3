-- The payroll journals' blocking checks for the check dates $first..$last, per journal, into
-- gl.payroll_journal_checks. Run after building the journals, and by the poster just before it
-- plans a day, so "is it in D365" is judged on the newest mapping validation.
CREATE OR REPLACE TEMP TABLE gl_payroll_check_journals AS
SELECT business_date, journal_key, any_value(run_key) AS run_key,
       any_value(legal_entity) AS legal_entity, any_value(currency) AS currency
FROM gl.payroll_journal_lines
WHERE business_date BETWEEN $first AND $last
GROUP BY business_date, journal_key;

DELETE FROM gl.payroll_journal_checks WHERE business_date BETWEEN $first AND $last;

INSERT INTO gl.payroll_journal_checks (business_date, journal_key, check_name, passed, detail, evaluated_at)
SELECT j.business_date, j.journal_key, 'balanced',
       sum(l.amount) = 0 AND sum(l.base_amount) = 0 AND count(l.base_amount) = count(*),
       CASE
           WHEN count(l.base_amount) < count(*)
               THEN 'no base-currency amount: legal entity ' || j.legal_entity
                    || ' has no base currency in mappings/legal_entities.csv or no rate from '
                    || j.currency || ' on ' || j.business_date || ' in mappings/fx_rates.csv'
           ELSE 'debits ' || sum(l.debit_amount) || ', credits ' || sum(l.credit_amount) || ' '
                || j.currency || CASE WHEN sum(l.amount) <> 0
                                      THEN ': off by ' || sum(l.amount) || ' (an employee''s earnings differ from taxes + deductions + net pay)'
                                      ELSE '' END
       END,
       now()
FROM gl_payroll_check_journals AS j
JOIN gl.payroll_journal_lines AS l USING (business_date, journal_key)
GROUP BY j.business_date, j.journal_key, j.legal_entity, j.currency;

-- Every item mapped: no line without an account (item class / code, department, location) and a
-- client with a legal entity.
INSERT INTO gl.payroll_journal_checks (business_date, journal_key, check_name, passed, detail, evaluated_at)
WITH problems AS (
    SELECT business_date, journal_key,
           mapping_issue || ' (' || source_count || ' item(s), ' || amount || ')' AS problem
    FROM gl.payroll_journal_lines
    WHERE business_date BETWEEN $first AND $last AND mapping_issue IS NOT NULL
    UNION ALL
    SELECT j.business_date, j.journal_key, r.mapping_issue
    FROM gl_payroll_check_journals AS j
    JOIN canonical.payroll_runs AS r
      ON r.business_date = j.business_date AND r.run_key = j.run_key
    WHERE r.mapping_issue IS NOT NULL
)
SELECT j.business_date, j.journal_key, 'items_mapped', count(p.problem) = 0,
       CASE WHEN count(p.problem) = 0 THEN 'every item of the run has an account and dimension values'
            ELSE count(p.problem) || ' unmapped: '
                 || array_to_string(list(p.problem ORDER BY p.problem)[1:10], '; ')
       END,
       now()
FROM gl_payroll_check_journals AS j
LEFT JOIN problems AS p USING (business_date, journal_key)
GROUP BY j.business_date, j.journal_key;

-- Every main account and dimension value in our chart (mappings/gl_main_accounts.csv,
-- gl_dimension_values.csv).
CREATE OR REPLACE TEMP TABLE gl_payroll_line_values AS
SELECT business_date, journal_key, line_number, 'main_account' AS kind, NULL AS dimension,
       main_account AS value
FROM gl.payroll_journal_lines
WHERE business_date BETWEEN $first AND $last AND main_account IS NOT NULL
UNION ALL
SELECT business_date, journal_key, line_number, 'dimension_value', split_part(pair, '=', 1),
       split_part(pair, '=', 2)
FROM (
    SELECT business_date, journal_key, line_number,
           unnest(string_split(dimension_values, ', ')) AS pair
    FROM gl.payroll_journal_lines
    WHERE business_date BETWEEN $first AND $last AND dimension_values <> ''
);

INSERT INTO gl.payroll_journal_checks (business_date, journal_key, check_name, passed, detail, evaluated_at)
WITH problems AS (
    SELECT DISTINCT v.business_date, v.journal_key,
           CASE v.kind WHEN 'main_account' THEN 'main account ' || v.value || ' is not in mappings/gl_main_accounts.csv'
                ELSE v.dimension || '=' || v.value || ' is not in mappings/gl_dimension_values.csv'
           END AS problem
    FROM gl_payroll_line_values AS v
    WHERE (v.kind = 'main_account'
           AND v.value NOT IN (SELECT main_account FROM ref.gl_main_accounts))
       OR (v.kind = 'dimension_value'
           AND NOT EXISTS (SELECT 1 FROM ref.gl_dimension_values AS d
                           WHERE d.dimension = v.dimension AND d.value = v.value))
)
SELECT j.business_date, j.journal_key, 'accounts_in_chart', count(p.problem) = 0,
       CASE WHEN count(p.problem) = 0 THEN 'every main account and dimension value is in the chart'
            ELSE array_to_string(list(p.problem ORDER BY p.problem)[1:10], '; ')
       END,
       now()
FROM gl_payroll_check_journals AS j
LEFT JOIN problems AS p USING (business_date, journal_key)
GROUP BY j.business_date, j.journal_key;

-- Every main account and dimension value in D365, as the mappings_exist_in_d365 check last found
-- (ops.d365_mapping_validation); one it never checked is not taken on trust. D365 compares codes
-- without regard to case; so does this.
INSERT INTO gl.payroll_journal_checks (business_date, journal_key, check_name, passed, detail, evaluated_at)
WITH validated AS (
    SELECT kind, lower(coalesce(dimension, '')) AS dimension, lower(value) AS value,
           bool_and(exists_in_d365) AS exists_in_d365, max(checked_at) AS checked_at
    FROM ops.d365_mapping_validation
    GROUP BY ALL
),
problems AS (
    SELECT DISTINCT v.business_date, v.journal_key,
           CASE v.kind WHEN 'main_account' THEN 'main account ' || v.value ELSE v.dimension || '=' || v.value END AS value,
           d.value IS NULL AS never_checked
    FROM gl_payroll_line_values AS v
    LEFT JOIN validated AS d
      ON d.kind = v.kind AND d.dimension = lower(coalesce(v.dimension, ''))
     AND d.value = lower(v.value)
    WHERE d.value IS NULL OR NOT d.exists_in_d365
)
SELECT j.business_date, j.journal_key, 'accounts_in_d365', count(p.value) = 0,
       CASE WHEN count(p.value) = 0 THEN 'every main account and dimension value exists in D365'
            ELSE concat_ws('; ',
                'not in D365 (mappings_exist_in_d365): '
                    || array_to_string(list(p.value ORDER BY p.value) FILTER (WHERE NOT p.never_checked), ', '),
                'never checked against D365 (run d365_pull_job, or d365_mapping_check_job after editing the mappings): '
                    || array_to_string(list(p.value ORDER BY p.value) FILTER (WHERE p.never_checked), ', '))
       END,
       now()
FROM gl_payroll_check_journals AS j
LEFT JOIN problems AS p USING (business_date, journal_key)
GROUP BY j.business_date, j.journal_key;

-- The register's own totals (its RUN_TOTAL lines) against what the journal books per item class,
-- and against the run's items (canonical.payroll_runs, computed from the items). A register
-- without totals is compared with its items only.
INSERT INTO gl.payroll_journal_checks (business_date, journal_key, check_name, passed, detail, evaluated_at)
WITH booked AS (
    SELECT business_date, journal_key,
           coalesce(sum(amount) FILTER (WHERE item_class = 'EARNING'), 0) AS gross,
           coalesce(-sum(amount) FILTER (WHERE item_class = 'EE_TAX'), 0) AS ee_tax,
           coalesce(sum(amount) FILTER (WHERE item_class = 'ER_TAX' AND side = 'debit'), 0) AS er_tax,
           coalesce(-sum(amount) FILTER (WHERE item_class = 'EE_DEDUCTION'), 0) AS ee_deduction,
           coalesce(sum(amount) FILTER (WHERE item_class = 'ER_BENEFIT' AND side = 'debit'), 0) AS er_benefit,
           coalesce(-sum(amount) FILTER (WHERE item_class = 'NET_PAY'), 0) AS net_pay
    FROM gl.payroll_journal_line_sources
    WHERE business_date BETWEEN $first AND $last
    GROUP BY ALL
),
compared AS (
    SELECT j.business_date, j.journal_key, t.total, t.journal, t.items, t.register
    FROM gl_payroll_check_journals AS j
    JOIN booked AS b USING (business_date, journal_key)
    LEFT JOIN canonical.payroll_runs AS r
      ON r.business_date = j.business_date AND r.run_key = j.run_key,
    LATERAL (SELECT unnest([
        {'total': 'gross', 'journal': b.gross, 'items': r.gross_amount, 'register': r.register_gross},
        {'total': 'ee_tax', 'journal': b.ee_tax, 'items': r.ee_tax_amount, 'register': r.register_ee_tax},
        {'total': 'er_tax', 'journal': b.er_tax, 'items': r.er_tax_amount, 'register': r.register_er_tax},
        {'total': 'ee_deduction', 'journal': b.ee_deduction, 'items': r.ee_deduction_amount, 'register': r.register_ee_deduction},
        {'total': 'er_benefit', 'journal': b.er_benefit, 'items': r.er_benefit_amount, 'register': r.register_er_benefit},
        {'total': 'net_pay', 'journal': b.net_pay, 'items': r.net_pay_amount, 'register': r.register_net_pay}
    ], recursive := true)) AS t
),
problems AS (
    SELECT business_date, journal_key,
           total || ': journal ' || journal || ', items ' || coalesce(CAST(items AS VARCHAR), 'none')
           || ', register ' || coalesce(CAST(register AS VARCHAR), 'not printed') AS problem
    FROM compared
    WHERE items IS DISTINCT FROM journal OR (register IS NOT NULL AND register <> journal)
)
SELECT j.business_date, j.journal_key, 'agrees_with_register', count(p.problem) = 0,
       CASE WHEN count(p.problem) = 0
            THEN 'gross, taxes, deductions, benefits and net pay agree with the register'
                 || CASE WHEN r.register_gross IS NULL THEN ' items (the register printed no totals)' ELSE '''s totals' END
            ELSE array_to_string(list(p.problem ORDER BY p.problem), '; ')
       END,
       now()
FROM gl_payroll_check_journals AS j
LEFT JOIN canonical.payroll_runs AS r
  ON r.business_date = j.business_date AND r.run_key = j.run_key
LEFT JOIN problems AS p
  ON p.business_date = j.business_date AND p.journal_key = j.journal_key
GROUP BY j.business_date, j.journal_key, r.register_gross;

-- risk_hold: a pay run's check date (per legal entity) with more open high-severity payroll risk
-- alerts than risk_hold_max_open_high_alerts (mappings/risk_settings.csv; the default when absent
-- is hl_d365_assets/risk/config.py's) is held until reviewers decide them (recon.exceptions status
-- fraud, not_fraud, accepted or resolved). No per-10,000 part: a pay run has no gateway
-- transactions. An alert without a legal entity counts for every journal of its day.
INSERT INTO gl.payroll_journal_checks (business_date, journal_key, check_name, passed, detail, evaluated_at)
WITH hold_limit AS (
    SELECT coalesce(max(value) FILTER (WHERE name = 'risk_hold_max_open_high_alerts'), 3)::BIGINT AS max_open
    FROM ref.risk_settings
),
open_high AS (
    SELECT a.business_date, a.legal_entity, a.alert_id, a.pattern, a.entity_kind, a.entity_id, a.score
    FROM risk.alerts AS a
    JOIN recon.exceptions AS e USING (exception_id)
    WHERE a.business_date BETWEEN $first AND $last AND a.domain = 'payroll'
      AND a.severity = 'high' AND e.status = 'open'
)
SELECT j.business_date, j.journal_key, 'risk_hold', count(o.alert_id) <= any_value(l.max_open),
       CASE WHEN count(o.alert_id) = 0 THEN 'no open high-severity risk alert'
            WHEN count(o.alert_id) <= any_value(l.max_open)
                THEN count(o.alert_id) || ' open high-severity risk alert(s), within the limit of '
                     || any_value(l.max_open) || ' (reviewers decide them in recon.exceptions)'
            ELSE count(o.alert_id) || ' open high-severity risk alert(s), more than the limit of '
                 || any_value(l.max_open) || ' (mappings/risk_settings.csv): '
                 || array_to_string(list(o.alert_id || ' ' || o.pattern || ' ' || o.entity_kind || ' '
                                         || o.entity_id || ' score ' || round(o.score)::BIGINT
                                         ORDER BY o.score DESC, o.alert_id)[1:10], '; ')
                 || ' (set their recon.exceptions status to fraud or not_fraud, then re-run the checks)'
       END,
       now()
FROM gl_payroll_check_journals AS j
CROSS JOIN hold_limit AS l
LEFT JOIN open_high AS o
  ON o.business_date = j.business_date AND (o.legal_entity IS NULL OR o.legal_entity = j.legal_entity)
GROUP BY j.business_date, j.journal_key;

DROP TABLE gl_payroll_line_values;
DROP TABLE gl_payroll_check_journals;
