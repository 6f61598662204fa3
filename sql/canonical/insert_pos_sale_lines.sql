-- Build canonical.pos_sale_lines for the staged tickets (stage_latest_pos_tickets.sql): one row
-- per ticket line, returns negative, with its D365 sales tax code.
INSERT INTO canonical.pos_sale_lines BY NAME
WITH ticket_lines AS (
    SELECT business_date, ticket_id, store_id, ticket_type, is_financial, currency, e, sign,
           fx_rate, ticket_issue, unnest(lines) AS l
    FROM latest_pos_tickets
)
SELECT
    tl.business_date, tl.ticket_id, tl.l.line_number, tl.store_id, tl.ticket_type, tl.is_financial,
    tl.l.sku, tl.l.description,
    tl.sign * tl.l.quantity AS quantity,
    tl.currency,
    minor_to_amount(tl.l.unit_price, tl.e) AS unit_price,
    tl.sign * minor_to_amount(tl.l.discount_amount, tl.e) AS discount_amount,
    tl.l.tax_code,
    tc.d365_sales_tax_code,
    tl.sign * minor_to_amount(tl.l.tax_amount, tl.e) AS tax_amount,
    minor_to_amount(tl.l.unit_cost, tl.e) AS unit_cost,
    tl.sign * minor_to_amount(tl.l.line_total, tl.e) AS line_total,
    tl.sign * minor_to_amount(tl.l.quantity * tl.l.unit_cost, tl.e) AS cost_total,
    to_base_amount(tl.sign * minor_to_amount(tl.l.line_total, tl.e), tl.fx_rate) AS base_line_total,
    to_base_amount(tl.sign * minor_to_amount(tl.l.quantity * tl.l.unit_cost, tl.e), tl.fx_rate) AS base_cost_total,
    nullif(concat_ws('; ',
        tl.ticket_issue,
        CASE WHEN tc.tax_code IS NULL
             THEN 'unmapped_tax_code: "' || coalesce(tl.l.tax_code, '') || '" is not in mappings/tax_codes.csv' END
    ), '') AS mapping_issue
FROM ticket_lines AS tl
LEFT JOIN ref.tax_codes AS tc ON tc.tax_code = upper(tl.l.tax_code);
