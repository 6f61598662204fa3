-- Compare what the mapping files (ref.gl_*, just reloaded) post to with what D365 holds
-- (raw.d365_*, as last pulled) and record the outcome, replacing the previous one.
-- D365 compares codes without regard to case; so does this.
-- $chart: the chart of accounts the legal entities' ledgers use; $mappings_sha256.
DELETE FROM ops.d365_mapping_validation;
INSERT INTO ops.d365_mapping_validation
WITH mapped_main_accounts AS (
    SELECT main_account AS value, 'gl_main_accounts.csv' AS file FROM ref.gl_main_accounts
    UNION ALL
    SELECT main_account, 'gl_posting_rules.csv' FROM ref.gl_posting_rules
    WHERE coalesce(main_account, '') <> ''
    UNION ALL
    SELECT main_account, 'gl_payroll_posting_rules.csv' FROM ref.gl_payroll_posting_rules
    WHERE coalesce(main_account, '') <> ''
),
mapped_dimension_values AS (
    SELECT dimension, value, 'gl_dimension_values.csv' AS file FROM ref.gl_dimension_values
    UNION ALL
    SELECT dimension, value, 'gl_store_dimensions.csv' FROM ref.gl_store_dimensions
    UNION ALL
    -- Payroll departments are values of the Department dimension (d365-entities-wave2.md §5).
    SELECT 'Department', d365_department, 'payroll_departments.csv' FROM ref.payroll_departments
),
d365_main_accounts AS (
    SELECT lower(MainAccountId) AS main_account, pulled_at
    FROM raw.d365_main_accounts WHERE lower(ChartOfAccounts) = lower($chart)
),
d365_dimension_values AS (
    SELECT lower(FinancialDimension) AS dimension, lower(DimensionValue) AS value, pulled_at
    FROM raw.d365_dimension_values
),
checked_main_accounts AS (
    SELECT 'main_account' AS kind, NULL AS dimension, mapped.value,
           string_agg(DISTINCT mapped.file, ', ' ORDER BY mapped.file) AS referenced_by,
           bool_or(d365.main_account IS NOT NULL) AS exists_in_d365,
           (SELECT max(pulled_at) FROM d365_main_accounts) AS d365_pulled_at
    FROM mapped_main_accounts AS mapped
    LEFT JOIN d365_main_accounts AS d365 ON d365.main_account = lower(mapped.value)
    GROUP BY mapped.value
),
checked_dimension_values AS (
    SELECT 'dimension_value' AS kind, mapped.dimension, mapped.value,
           string_agg(DISTINCT mapped.file, ', ' ORDER BY mapped.file) AS referenced_by,
           bool_or(d365.value IS NOT NULL) AS exists_in_d365,
           (SELECT max(pulled_at) FROM d365_dimension_values) AS d365_pulled_at
    FROM mapped_dimension_values AS mapped
    LEFT JOIN d365_dimension_values AS d365
        ON d365.dimension = lower(mapped.dimension) AND d365.value = lower(mapped.value)
    GROUP BY mapped.dimension, mapped.value
)
SELECT now() AS checked_at, kind, dimension, value, referenced_by, exists_in_d365,
       d365_pulled_at, $mappings_sha256 AS mappings_sha256
FROM (
    SELECT * FROM checked_main_accounts
    UNION ALL BY NAME
    SELECT * FROM checked_dimension_values
);
