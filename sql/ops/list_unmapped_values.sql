-- Every value the checks report unmapped, with the business days whose records it holds back and
-- how many records carry it: read from the mapping_issue of the canonical tables and the GL and
-- payroll journal lines (the words count_mapping_issues.sql and the journals' checks show). A
-- store (or payroll location) without a dimension value is named by the store and dimension. A
-- Heartland Retail item the product match paired with no D365 SKU (product_unmatched_retail) is
-- named by its item id, dated by the Retail snapshot it was found in.
WITH issues AS (
    SELECT business_date, unnest(string_split(mapping_issue, '; ')) AS issue
    FROM canonical.pos_tenders WHERE mapping_issue IS NOT NULL
    UNION ALL
    SELECT business_date, unnest(string_split(mapping_issue, '; '))
    FROM canonical.payments WHERE mapping_issue IS NOT NULL
    UNION ALL
    SELECT business_date, unnest(string_split(mapping_issue, '; '))
    FROM canonical.settlement_fees WHERE mapping_issue IS NOT NULL
    UNION ALL
    SELECT business_date, unnest(string_split(mapping_issue, '; '))
    FROM canonical.pos_sale_lines WHERE mapping_issue IS NOT NULL
    UNION ALL
    SELECT business_date, unnest(string_split(mapping_issue, '; '))
    FROM canonical.payroll_runs WHERE mapping_issue IS NOT NULL
    UNION ALL
    SELECT business_date, mapping_issue FROM gl.journal_lines WHERE mapping_issue IS NOT NULL
    UNION ALL
    SELECT business_date, mapping_issue FROM gl.payroll_journal_lines WHERE mapping_issue IS NOT NULL
),
-- A store missing several dimension values ("has no BusinessUnit, Department value") is one
-- value per dimension: each is a row of its own in gl_store_dimensions.csv.
store_dimension_issues AS (
    SELECT business_date, regexp_extract(issue, '^store (\S+) has no', 1) AS store_id,
           unnest(string_split(regexp_extract(issue, '^store \S+ has no (.+) value in mappings/gl_store_dimensions\.csv', 1), ', ')) AS dimension
    FROM issues
    WHERE regexp_matches(issue, '^store \S+ has no .+ value in mappings/gl_store_dimensions\.csv')
),
expanded AS (
    SELECT business_date, issue FROM issues
    WHERE NOT regexp_matches(issue, '^store \S+ has no .+ value in mappings/gl_store_dimensions\.csv')
    UNION ALL
    SELECT business_date, 'store ' || store_id || ' has no ' || dimension || ' value in mappings/gl_store_dimensions.csv'
    FROM store_dimension_issues
),
parsed AS (
    SELECT business_date,
           CASE
               WHEN issue LIKE 'unmapped_payment_type: Retail payment type "%' THEN 'retail_payment_type'
               WHEN issue LIKE 'unmapped_payment_method: card brand "%' THEN 'payment_method'
               WHEN issue LIKE 'unmapped_payment_method: CARD % is not in%' THEN 'payment_method'
               WHEN regexp_matches(issue, '^unmapped_payment_method: [A-Z_]+ is not in') THEN 'payment_method'
               WHEN issue LIKE 'unmapped_status: gateway status "%' THEN 'transaction_status'
               WHEN issue LIKE 'unmapped_tax_code: "%' THEN 'tax_code'
               WHEN issue LIKE 'unmapped_payroll_client: client "%' THEN 'payroll_client'
               WHEN issue LIKE 'no rule in mappings/gl_posting_rules.csv for posting_kind %' THEN 'gl_posting_rule'
               WHEN issue LIKE 'no rule in mappings/gl_payroll_posting_rules.csv for EARNING %' THEN 'earning_code'
               WHEN issue LIKE 'department % has no row in mappings/payroll_departments.csv%' THEN 'payroll_department'
               WHEN issue LIKE 'store % has no % value in mappings/gl_store_dimensions.csv%' THEN 'store_dimension'
               WHEN issue LIKE 'location % has no BusinessUnit in mappings/gl_store_dimensions.csv%' THEN 'payroll_location_dimension'
           END AS mapping_kind,
           CASE
               WHEN issue LIKE 'unmapped_payment_method: card brand "%' THEN 'card_brand'
               WHEN issue LIKE 'unmapped_payment_method: CARD % is not in%' THEN 'card_brand'
               WHEN issue LIKE 'unmapped_payment_method: %' THEN 'tender_type'
               WHEN issue LIKE 'unmapped_status: gateway status "%' THEN 'gateway_status'
               WHEN issue LIKE 'no rule in mappings/gl_posting_rules.csv%'
                   THEN regexp_extract(issue, 'posting_kind (\S+) and match_value', 1)
               WHEN issue LIKE 'no rule in mappings/gl_payroll_posting_rules.csv%' THEN 'EARNING'
               WHEN regexp_matches(issue, '^(store|location) \S+ has no \S+ (value )?in mappings/gl_store_dimensions\.csv')
                   THEN regexp_extract(issue, '^(?:store|location) \S+ has no (\S+)', 1)
               ELSE ''
           END AS context,
           CASE
               WHEN issue LIKE 'unmapped_payment_method: CARD % is not in%'
                   THEN regexp_extract(issue, '^unmapped_payment_method: CARD (\S+) is not in', 1)
               WHEN regexp_matches(issue, '^unmapped_payment_method: [A-Z_]+ is not in')
                   THEN regexp_extract(issue, '^unmapped_payment_method: ([A-Z_]+) is not in', 1)
               WHEN issue LIKE 'no rule in mappings/gl_posting_rules.csv%'
                   THEN regexp_extract(issue, 'and match_value (.*) valid on ', 1)
               WHEN issue LIKE 'no rule in mappings/gl_payroll_posting_rules.csv%'
                   THEN regexp_extract(issue, 'for EARNING (\S+) \(', 1)
               WHEN issue LIKE 'department % has no row%'
                   THEN regexp_extract(issue, '^department (\S+) has no row', 1)
               WHEN regexp_matches(issue, '^(store|location) \S+ has no \S+ (value )?in mappings/gl_store_dimensions\.csv')
                   THEN regexp_extract(issue, '^(?:store|location) (\S+) has no', 1)
               ELSE regexp_extract(issue, '"([^"]*)"', 1)
           END AS unmapped_value
    FROM expanded
)
SELECT mapping_kind, context, unmapped_value,
       list(DISTINCT business_date ORDER BY business_date) AS held_business_dates,
       count(*) AS held_records
FROM parsed
WHERE mapping_kind IS NOT NULL AND unmapped_value NOT IN ('', '(empty)', '(none)')
GROUP BY ALL
UNION ALL
SELECT 'product_match', '', retail_item_id, list(DISTINCT retail_snapshot_date), count(*)
FROM canonical.products
WHERE match_status = 'unmatched_retail'
GROUP BY ALL
ORDER BY mapping_kind, context, unmapped_value
