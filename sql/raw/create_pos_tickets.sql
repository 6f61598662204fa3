-- Closed POS tickets, one row per delivered ticket event, lines and tenders kept nested as the
-- POS sends them (the canonical layer flattens them). Money in minor units.
CREATE TABLE IF NOT EXISTS raw.pos_tickets (
    business_date   DATE NOT NULL,
    segment_path    VARCHAR NOT NULL,
    line_number     BIGINT NOT NULL,
    event_id        VARCHAR NOT NULL,
    event_type      VARCHAR,
    received_at     TIMESTAMPTZ NOT NULL,
    ticket_id       VARCHAR NOT NULL,
    store_id        VARCHAR NOT NULL,
    register_id     VARCHAR,
    cashier_id      VARCHAR,
    ticket_type     VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,
    currency        VARCHAR NOT NULL,
    opened_at       TIMESTAMPTZ,
    closed_at       TIMESTAMPTZ NOT NULL,
    original_ticket_id VARCHAR,
    note            VARCHAR,
    subtotal        BIGINT NOT NULL,
    discount_total  BIGINT NOT NULL,
    tax_total       BIGINT NOT NULL,
    total           BIGINT NOT NULL,
    lines           STRUCT(line_number BIGINT, sku VARCHAR, description VARCHAR, quantity BIGINT,
                           unit_price BIGINT, discount_amount BIGINT, tax_code VARCHAR,
                           tax_amount BIGINT, unit_cost BIGINT, line_total BIGINT)[] NOT NULL,
    tenders         STRUCT(tender_id VARCHAR, tender_type VARCHAR, amount BIGINT, tip_amount BIGINT,
                           gateway_transaction_id VARCHAR, card_brand VARCHAR,
                           masked_number_first6last4 VARCHAR, gift_card_last4 VARCHAR)[] NOT NULL
);
COMMENT ON TABLE raw.pos_tickets IS 'Closed Heartland POS tickets as landed, one row per event id and business day, with lines and tenders nested as the POS sent them (canonical.pos_sales, pos_sale_lines and pos_tenders flatten them). Redeliveries are counted in ops.duplicate_events and bad lines kept in ops.quarantine instead. Money in integer minor units, unsigned: ticket_type gives the sign.';
COMMENT ON COLUMN raw.pos_tickets.business_date IS 'Business day the event was landed under (its segment''s business_date= folder): the store-local date of closed_at.';
COMMENT ON COLUMN raw.pos_tickets.segment_path IS 'Landing segment the event was read from.';
COMMENT ON COLUMN raw.pos_tickets.line_number IS 'Line of the event in its segment, from 1.';
COMMENT ON COLUMN raw.pos_tickets.event_id IS 'Event id given by the POS relay; a later delivery of the same id is a duplicate, not a second row.';
COMMENT ON COLUMN raw.pos_tickets.event_type IS 'ticket.closed.';
COMMENT ON COLUMN raw.pos_tickets.received_at IS 'When the event was received and landed (UTC).';
COMMENT ON COLUMN raw.pos_tickets.ticket_id IS 'payload.ticket_id: POS ticket number, store, date and sequence (TKT-S001-20261120-000123).';
COMMENT ON COLUMN raw.pos_tickets.store_id IS 'payload.store_id: the store (S001), as in mappings/stores.csv.';
COMMENT ON COLUMN raw.pos_tickets.register_id IS 'payload.register_id: the till (R02).';
COMMENT ON COLUMN raw.pos_tickets.cashier_id IS 'payload.cashier_id: the cashier (C017).';
COMMENT ON COLUMN raw.pos_tickets.ticket_type IS 'payload.ticket_type: SALE or RETURN; a RETURN''s amounts become negative in the canonical layer.';
COMMENT ON COLUMN raw.pos_tickets.status IS 'payload.status: CLOSED (completed) or VOIDED at the register (no money moved; mappings/transaction_statuses.csv).';
COMMENT ON COLUMN raw.pos_tickets.currency IS 'payload.currency: ISO 4217 code of the ticket''s amounts.';
COMMENT ON COLUMN raw.pos_tickets.opened_at IS 'payload.opened_at: when the ticket was opened; sent as store-local time with offset, stored as an instant.';
COMMENT ON COLUMN raw.pos_tickets.closed_at IS 'payload.closed_at: when the ticket was closed; sent as store-local time with offset, stored as an instant. Its local date is the business day.';
COMMENT ON COLUMN raw.pos_tickets.original_ticket_id IS 'payload.original_ticket_id: for a RETURN, the ticket returned; NULL otherwise.';
COMMENT ON COLUMN raw.pos_tickets.note IS 'payload.note: free text typed at the register (scanned for card numbers before loading).';
COMMENT ON COLUMN raw.pos_tickets.subtotal IS 'payload.subtotal: sum of quantity x unit price, integer minor units, unsigned.';
COMMENT ON COLUMN raw.pos_tickets.discount_total IS 'payload.discount_total: discounts, integer minor units, unsigned.';
COMMENT ON COLUMN raw.pos_tickets.tax_total IS 'payload.tax_total: sales tax, integer minor units, unsigned.';
COMMENT ON COLUMN raw.pos_tickets.total IS 'payload.total = subtotal - discount_total + tax_total = the sum of the tender amounts (tips excluded), integer minor units, unsigned.';
COMMENT ON COLUMN raw.pos_tickets.lines IS 'payload.lines as sent: line_number, sku, description, quantity (positive units), unit_price, discount_amount, tax_code, tax_amount, unit_cost, line_total (= quantity x unit_price - discount_amount + tax_amount); money in integer minor units, unsigned. Flattened into canonical.pos_sale_lines.';
COMMENT ON COLUMN raw.pos_tickets.tenders IS 'payload.tenders as sent: tender_id (<ticket_id>-T1), tender_type (CARD, CASH, GIFT_CARD, STORE_CREDIT), amount, tip_amount, gateway_transaction_id (CARD: TRN_…, else empty), card_brand, masked_number_first6last4 (CARD only), gift_card_last4 (GIFT_CARD); money in integer minor units, unsigned. Flattened into canonical.pos_tenders.';
