-- Which order payments D365 holds from us, and in which customer payment journal.
CREATE TABLE IF NOT EXISTS gl.posted_customer_payments (
    idempotency_key             VARCHAR NOT NULL,
    business_date               DATE NOT NULL,
    journal_key                 VARCHAR NOT NULL,
    transaction_id              VARCHAR NOT NULL,
    sales_order_number          VARCHAR NOT NULL,
    customer_account            VARCHAR NOT NULL,
    amount                      DECIMAL(18, 2) NOT NULL,
    d365_journal_batch_number   VARCHAR NOT NULL,
    d365_line_number            BIGINT NOT NULL,
    posted_at                   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (idempotency_key, d365_line_number)
);
COMMENT ON TABLE gl.posted_customer_payments IS 'Order payments posted to D365 customer payment journals; a payment that goes away later is posted back as a reversal line.';
COMMENT ON COLUMN gl.posted_customer_payments.idempotency_key IS 'Key of the D365 customer payment journal (gl.postings).';
COMMENT ON COLUMN gl.posted_customer_payments.business_date IS 'Business day.';
COMMENT ON COLUMN gl.posted_customer_payments.journal_key IS 'The day''s journal (legal entity, day, currency).';
COMMENT ON COLUMN gl.posted_customer_payments.transaction_id IS 'Heartland transaction.';
COMMENT ON COLUMN gl.posted_customer_payments.sales_order_number IS 'D365 sales order.';
COMMENT ON COLUMN gl.posted_customer_payments.customer_account IS 'D365 customer credited.';
COMMENT ON COLUMN gl.posted_customer_payments.amount IS 'Credited to the customer (negative: a reversal).';
COMMENT ON COLUMN gl.posted_customer_payments.d365_journal_batch_number IS 'D365 JournalBatchNumber.';
COMMENT ON COLUMN gl.posted_customer_payments.d365_line_number IS 'D365 LineNumber.';
COMMENT ON COLUMN gl.posted_customer_payments.posted_at IS 'When it was recorded.';
