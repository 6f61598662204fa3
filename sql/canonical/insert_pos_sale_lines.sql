-- Build canonical.pos_sale_lines from the staged Retail tickets (stage_latest_retail_tickets.sql):
-- one row per ticket line, signed as Retail sends it (return lines have negative qty and value).
--
-- Tax: Retail has one ticket-level tax_total and no tax on lines. It is allocated to the item
-- lines pro rata by |value|, in whole cents, by largest remainder: each line gets
-- floor(tax_cents x w / W), and the cents left over go one each to the lines with the largest
-- remainders (ties: lower line number), so the lines' tax sums exactly to tax_total
-- (docs/reconciliation.md, "Heartland Retail: ticket tax on lines"). Zero-value item lines all
-- weigh the same; gift card lines carry no tax. The line's tax code is its store's
-- (mappings/stores.csv), gift cards EXEMPT.
-- Discount = gross - value, gross = qty x original unit price to the cent: (original - adjusted)
-- x qty whenever value = qty x adjusted price, as Retail computes it.
INSERT INTO canonical.pos_sale_lines BY NAME
-- The allocation is worked out per ticket on its list of lines (a handful each), so no window
-- has to sort the day's lines by ticket: weights w, their total, each line's base cents, and the
-- rank of its remainder (item lines first, larger remainder first, then line number).
WITH weighted AS (
    SELECT
        *,
        abs(CAST(tax_total * 100 AS HUGEINT)) AS tax_cents,
        sign(tax_total) AS tax_sign,
        list_transform(lines, lambda l: CASE WHEN l.type = 'ItemLine' THEN abs(CAST(l.value * 100 AS HUGEINT)) END)
            AS value_cents
    FROM latest_retail_tickets
),
weights AS (
    SELECT
        *,
        list_transform(value_cents, lambda v: CASE WHEN v IS NULL THEN NULL
                                                   WHEN list_sum(value_cents) = 0 THEN 1 ELSE v END) AS w,
        CASE WHEN list_sum(value_cents) = 0 THEN list_count(value_cents) ELSE list_sum(value_cents) END AS w_total
    FROM weighted
),
shares AS (
    SELECT
        *,
        list_transform(w, lambda x: tax_cents * x // w_total) AS base_cents,
        list_grade_up(list_transform(w, lambda x, i: {'unweighted': x IS NULL, 'remainder': -(tax_cents * x % w_total), 'line': i}))
            AS remainder_order
    FROM weights
),
allocated AS (
    SELECT
        business_date, ticket_id, store_id, ticket_type, is_financial, currency, fx_rate,
        tax_code AS store_tax_code, ticket_issue, tax_sign,
        unnest(lines) AS l,
        unnest(list_transform(w, lambda x, i: CASE WHEN x IS NULL THEN 0 ELSE base_cents[i] + CASE
            WHEN list_position(remainder_order, i) <= tax_cents - list_sum(base_cents) THEN 1 ELSE 0 END END))
            AS tax_cents_allocated,
        generate_subscripts(lines, 1) AS line_number
    FROM shares
),
priced AS (
    SELECT
        a.*,
        CASE WHEN a.l.type = 'GiftCardLine' THEN 'GIFT_CARD' ELSE 'ITEM' END AS line_type,
        CASE WHEN a.l.type = 'GiftCardLine' THEN 'EXEMPT' ELSE a.store_tax_code END AS line_tax_code,
        coalesce(a.l.original_unit_price, a.l.unit_price, a.l.adjusted_unit_price) AS list_price,
        minor_to_amount(a.tax_sign * a.tax_cents_allocated, 2) AS tax_amount,
        CASE WHEN a.l.type = 'GiftCardLine' THEN CAST(0 AS DECIMAL(18, 2))
             ELSE coalesce(a.l.unit_cost, i.cost) END AS unit_cost,
        a.l.qty = round(a.l.qty) AS whole_quantity
    FROM allocated AS a
    LEFT JOIN (
        SELECT item_id, arg_max(cost, (business_date, updated_at)) AS cost
        FROM raw.retail_items WHERE business_date <= $last GROUP BY item_id
    ) AS i ON i.item_id = a.l.item_id
)
SELECT
    p.business_date, p.ticket_id, p.line_number, p.store_id, p.ticket_type, p.is_financial,
    p.line_type,
    nullif(p.l.item_public_id, '') AS sku,
    p.l.description,
    CAST(round(p.l.qty) AS BIGINT) AS quantity,
    p.currency,
    p.list_price AS unit_price,
    CAST(round(p.l.qty * p.list_price, 2) AS DECIMAL(18, 2)) - p.l.value AS discount_amount,
    p.line_tax_code AS tax_code,
    tc.d365_sales_tax_code,
    p.tax_amount,
    p.unit_cost,
    p.l.value + p.tax_amount AS line_total,
    CAST(round(p.l.qty * p.unit_cost, 2) AS DECIMAL(18, 2)) AS cost_total,
    to_base_amount(p.l.value + p.tax_amount, p.fx_rate) AS base_line_total,
    to_base_amount(CAST(round(p.l.qty * p.unit_cost, 2) AS DECIMAL(18, 2)), p.fx_rate) AS base_cost_total,
    nullif(concat_ws('; ',
        p.ticket_issue,
        CASE WHEN tc.tax_code IS NULL
             THEN 'unmapped_tax_code: "' || coalesce(p.line_tax_code, '') || '" is not in mappings/tax_codes.csv' END,
        CASE WHEN NOT p.whole_quantity
             THEN 'fractional_quantity: line ' || p.line_number || ' sells ' || p.l.qty || ' units; canonical quantities are whole units' END
    ), '') AS mapping_issue
FROM priced AS p
LEFT JOIN ref.tax_codes AS tc ON tc.tax_code = upper(p.line_tax_code);
