-- Lineage: which canonical records make up each journal line, and how much each contributed.
CREATE TABLE IF NOT EXISTS gl.journal_line_sources (
    business_date   DATE NOT NULL,
    line_key        VARCHAR NOT NULL,
    posting_kind    VARCHAR NOT NULL,
    source_table    VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL,
    transaction_id  VARCHAR,
    store_id        VARCHAR,
    amount          DECIMAL(18, 2) NOT NULL
);
COMMENT ON TABLE gl.journal_line_sources IS 'Every journal line''s source records: join on line_key to see what is in a line.';
COMMENT ON COLUMN gl.journal_line_sources.business_date IS 'Business day of the journal. Source: canonical.pos_sales(business_date); canonical.pos_tenders(business_date); canonical.payments(business_date); canonical.settlement_batches(business_date); canonical.settlement_fees(business_date)';
COMMENT ON COLUMN gl.journal_line_sources.line_key IS 'The line (gl.journal_lines.line_key).';
COMMENT ON COLUMN gl.journal_line_sources.posting_kind IS 'What the record contributed: tender, tip, revenue, returns, sales_tax, cogs, inventory, cash_over_short, settlement, merchant_fees, deposit, settlement_difference.';
COMMENT ON COLUMN gl.journal_line_sources.source_table IS 'canonical.pos_sales (ticket), canonical.pos_tenders (tender), canonical.settlement_batches or canonical.settlement_fees (batch).';
COMMENT ON COLUMN gl.journal_line_sources.source_id IS 'Ticket id, tender id or batch id (with the card brand for canonical.settlement_fees: BAT_…/VISA). Source: canonical.pos_sales(ticket_id); canonical.pos_tenders(tender_id); canonical.payments(transaction_id); canonical.settlement_batches(batch_id); canonical.settlement_fees(batch_id, card_brand)';
COMMENT ON COLUMN gl.journal_line_sources.transaction_id IS 'Gateway transaction (TRN_…) of a card tender: joins to canonical.payments. Source: canonical.pos_tenders(gateway_transaction_id); canonical.payments(transaction_id)';
COMMENT ON COLUMN gl.journal_line_sources.store_id IS 'Store of the record. Source: canonical.pos_sales(store_id); canonical.payments(store_id); canonical.settlement_batches(store_id)';
COMMENT ON COLUMN gl.journal_line_sources.amount IS 'Signed contribution in transaction currency (positive debit); a line''s sources sum to its amount. Source: canonical.pos_sale_lines(line_total, tax_amount, cost_total); canonical.pos_tenders(amount, tip_amount); canonical.payments(amount); canonical.settlement_fees(net_amount, fees_amount); canonical.settlement_batches(deposit_amount)';
