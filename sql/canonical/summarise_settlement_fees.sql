SELECT currency, lower(card_brand) || '_fees' AS measure, sum(fees_amount) AS amount
FROM canonical.settlement_fees
WHERE business_date BETWEEN $first AND $last
GROUP BY ALL ORDER BY ALL
