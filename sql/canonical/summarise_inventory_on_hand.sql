SELECT coalesce(currency, 'unknown') AS currency, 'value' AS measure, sum(value) AS amount
FROM canonical.inventory_on_hand
WHERE business_date BETWEEN $first AND $last
GROUP BY ALL ORDER BY ALL
