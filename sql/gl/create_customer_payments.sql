-- Card payments of D365 sales orders, one row per payment: the lines of the day's customer
-- payment journal (CustomerPaymentJournalLines), against the customer and the order.
CREATE TABLE IF NOT EXISTS gl.customer_payments (
    business_date           DATE NOT NULL,
    journal_key             VARCHAR NOT NULL,
    legal_entity            VARCHAR NOT NULL,
    currency                VARCHAR NOT NULL,
    transaction_id          VARCHAR NOT NULL,
    sales_order_number      VARCHAR NOT NULL,
    customer_account        VARCHAR NOT NULL,
    payment_method_code     VARCHAR,
    card_brand              VARCHAR,
    amount                  DECIMAL(18, 2) NOT NULL,
    fx_rate                 DECIMAL(18, 8),
    offset_account          VARCHAR
);
COMMENT ON TABLE gl.customer_payments IS 'Card payments of D365 sales orders (a gateway transaction whose reference is an order in raw.d365_sales_orders): credited to the customer by a customer payment journal, offset against customer payments to apply.';
COMMENT ON COLUMN gl.customer_payments.business_date IS 'Business day of the payment.';
COMMENT ON COLUMN gl.customer_payments.journal_key IS 'The day''s journal of the same legal entity and currency in gl.journal_lines (which books the card money into clearing).';
COMMENT ON COLUMN gl.customer_payments.legal_entity IS 'D365 company.';
COMMENT ON COLUMN gl.customer_payments.currency IS 'Payment currency.';
COMMENT ON COLUMN gl.customer_payments.transaction_id IS 'Heartland transaction (canonical.payments).';
COMMENT ON COLUMN gl.customer_payments.sales_order_number IS 'D365 sales order paid (the transaction''s reference).';
COMMENT ON COLUMN gl.customer_payments.customer_account IS 'D365 invoice customer account of the order.';
COMMENT ON COLUMN gl.customer_payments.payment_method_code IS 'D365 payment method of the card brand.';
COMMENT ON COLUMN gl.customer_payments.card_brand IS 'Card brand.';
COMMENT ON COLUMN gl.customer_payments.amount IS 'Amount paid, transaction currency.';
COMMENT ON COLUMN gl.customer_payments.fx_rate IS 'Rate to the legal entity''s base currency on the day.';
COMMENT ON COLUMN gl.customer_payments.offset_account IS 'Ledger offset of the payment line: customer payments to apply (mappings/gl_posting_rules.csv, posting_kind customer_payment).';
