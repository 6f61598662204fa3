-- Card money that moved through the gateway per business day, store and currency.
CREATE OR REPLACE VIEW canonical.daily_sales AS
SELECT
    business_date,
    store_id,
    currency,
    count(*) FILTER (WHERE transaction_type = 'SALE') AS sales_count,
    coalesce(sum(amount) FILTER (WHERE transaction_type = 'SALE'), 0) AS gross_sales,
    count(*) FILTER (WHERE transaction_type = 'REFUND') AS refunds_count,
    coalesce(sum(amount) FILTER (WHERE transaction_type = 'REFUND'), 0) AS refunds,
    sum(amount) AS net_sales,
    sum(base_amount) AS base_net_sales,
    any_value(base_currency) AS base_currency
FROM canonical.payments
WHERE is_financial
GROUP BY ALL;
