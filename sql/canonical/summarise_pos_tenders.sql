SELECT currency, lower(coalesce(tender_type, 'unknown')) AS measure, sum(amount) AS amount
FROM canonical.pos_tenders
WHERE business_date BETWEEN $first AND $last AND is_financial
GROUP BY ALL ORDER BY ALL
