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
COMMENT ON VIEW canonical.daily_sales IS 'Card money that moved through the gateway, per business day, store and currency: captured sales and refunds from canonical.payments (declined, pre-authorised and voided transactions left out). POS cash and gift cards are not in it.';
COMMENT ON COLUMN canonical.daily_sales.business_date IS 'Business day. Source: canonical.payments(business_date)';
COMMENT ON COLUMN canonical.daily_sales.store_id IS 'Store; NULL for transactions of a merchant id not in mappings/stores.csv. Source: canonical.payments(store_id)';
COMMENT ON COLUMN canonical.daily_sales.currency IS 'Transaction currency of the amounts on the row. Source: canonical.payments(currency)';
COMMENT ON COLUMN canonical.daily_sales.sales_count IS 'Captured SALE transactions. Source: canonical.payments(transaction_type)';
COMMENT ON COLUMN canonical.daily_sales.gross_sales IS 'Captured sales, tips included, in currency; 0 when none. Source: canonical.payments(amount)';
COMMENT ON COLUMN canonical.daily_sales.refunds_count IS 'Captured REFUND transactions. Source: canonical.payments(transaction_type)';
COMMENT ON COLUMN canonical.daily_sales.refunds IS 'Captured refunds in currency, negative (signed as in canonical.payments); 0 when none. Source: canonical.payments(amount)';
COMMENT ON COLUMN canonical.daily_sales.net_sales IS 'gross_sales + refunds: the card money kept, in currency. Source: canonical.payments(amount)';
COMMENT ON COLUMN canonical.daily_sales.base_net_sales IS 'net_sales in the legal entity''s base currency: the sum of each transaction''s base_amount. Source: canonical.payments(base_amount)';
COMMENT ON COLUMN canonical.daily_sales.base_currency IS 'Accounting currency of the store''s legal entity. Source: canonical.payments(base_currency)';
