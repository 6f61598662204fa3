-- The demo's per-day table: card sales and refunds through the gateway, by currency.
SELECT business_date, currency, sum(gross_sales) AS gross_sales, sum(refunds) AS refunds
FROM canonical.daily_sales
GROUP BY ALL
ORDER BY ALL
