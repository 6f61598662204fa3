SELECT currency, measure, amount
FROM (
    SELECT currency, sum(line_total) AS line_total, sum(tax_amount) AS tax, sum(cost_total) AS cost
    FROM canonical.pos_sale_lines
    WHERE business_date BETWEEN $first AND $last AND is_financial
    GROUP BY ALL
) UNPIVOT (amount FOR measure IN (line_total, tax, cost))
ORDER BY ALL
