SELECT currency, lower(ticket_type) AS measure, sum(total) AS amount
FROM canonical.pos_sales
WHERE business_date BETWEEN $first AND $last AND is_financial
GROUP BY ALL ORDER BY ALL
