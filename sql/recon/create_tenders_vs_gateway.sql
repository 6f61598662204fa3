-- Every POS card tender against its gateway transaction, the gateway transactions that pay D365
-- sales orders, and what is left over on either side. Replaced per business day.
CREATE TABLE IF NOT EXISTS recon.tenders_vs_gateway (
    business_date           DATE NOT NULL,
    store_id                VARCHAR,
    currency                VARCHAR,
    status                  VARCHAR NOT NULL,
    matched_by              VARCHAR,
    ticket_id               VARCHAR,
    tender_id               VARCHAR,
    transaction_id          VARCHAR,
    tender_amount           DECIMAL(18, 2),
    tender_tip_amount       DECIMAL(18, 2),
    transaction_amount      DECIMAL(18, 2),
    amount_difference       DECIMAL(18, 2),
    reason                  VARCHAR
);
COMMENT ON TABLE recon.tenders_vs_gateway IS 'POS card tenders matched to gateway transactions (by reference, then by store, amount and time), gateway transactions paying D365 sales orders (no tender behind them), and the unmatched ones on either side with a reason.';
COMMENT ON COLUMN recon.tenders_vs_gateway.status IS 'matched, sales_order_payment (no POS tender: the transaction''s reference is a D365 sales order of the store''s legal entity and currency in raw.d365_sales_orders, a phone or web order paid by card; not an exception), amount_difference, tender_without_gateway_transaction, gateway_transaction_without_tender.';
COMMENT ON COLUMN recon.tenders_vs_gateway.matched_by IS 'reference (the transaction''s reference is the tender id), gateway_transaction_id (the tender names the transaction: Heartland Retail integrated card payments), sales_order (the reference is a D365 sales order number) or store_amount_time (same store and currency, tender + tip = transaction amount, within 10 minutes).';
COMMENT ON COLUMN recon.tenders_vs_gateway.tender_amount IS 'Tender amount, signed (returns negative). Source: canonical.pos_tenders(amount)';
COMMENT ON COLUMN recon.tenders_vs_gateway.tender_tip_amount IS 'Tip on the tender, added after authorisation. Source: canonical.pos_tenders(tip_amount)';
COMMENT ON COLUMN recon.tenders_vs_gateway.transaction_amount IS 'Captured amount, tip included. Source: canonical.payments(amount)';
COMMENT ON COLUMN recon.tenders_vs_gateway.amount_difference IS 'Transaction amount minus (tender amount + tip).';
COMMENT ON COLUMN recon.tenders_vs_gateway.business_date IS 'Business day of the tender, or of the gateway transaction when no tender is on the row.';
COMMENT ON COLUMN recon.tenders_vs_gateway.store_id IS 'Store of the tender or transaction; NULL for a transaction of a merchant id not in mappings/stores.csv.';
COMMENT ON COLUMN recon.tenders_vs_gateway.currency IS 'Currency of every amount on the row.';
COMMENT ON COLUMN recon.tenders_vs_gateway.ticket_id IS 'POS ticket of the tender; NULL when the row has no tender. Source: canonical.pos_tenders(ticket_id)';
COMMENT ON COLUMN recon.tenders_vs_gateway.tender_id IS 'POS card tender; NULL for gateway_transaction_without_tender and sales_order_payment. Source: canonical.pos_tenders(tender_id)';
COMMENT ON COLUMN recon.tenders_vs_gateway.transaction_id IS 'Captured gateway transaction (TRN_…); NULL for tender_without_gateway_transaction. Source: canonical.payments(transaction_id)';
COMMENT ON COLUMN recon.tenders_vs_gateway.reason IS 'Why the row is not a plain match, in words: what was looked for and not found, the two amounts of an amount_difference, the sales order and customer a sales_order_payment pays, or that the match was made on store, amount and time; NULL for a match by reference at the same amount.';
