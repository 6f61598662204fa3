-- Heartland Retail tickets as landed, one row per delivered version (event id), lines and
-- payments nested as the API served them, money exact in major units.
CREATE TABLE IF NOT EXISTS raw.retail_tickets (
    business_date       DATE NOT NULL,
    segment_path        VARCHAR NOT NULL,
    line_number         BIGINT NOT NULL,
    event_id            VARCHAR NOT NULL,
    event_type          VARCHAR,
    received_at         TIMESTAMPTZ NOT NULL,
    ticket_id           VARCHAR NOT NULL,
    public_id           VARCHAR,
    status              VARCHAR NOT NULL,
    station_id          VARCHAR,
    source_location_id  VARCHAR NOT NULL,
    customer_id         VARCHAR,
    customer_name       VARCHAR,
    sales_rep           VARCHAR,
    created_at          TIMESTAMPTZ NOT NULL,
    completed_at        TIMESTAMPTZ,
    updated_at          TIMESTAMPTZ NOT NULL,
    subtotal            DECIMAL(18, 2),
    tax_total           DECIMAL(18, 2) NOT NULL,
    total               DECIMAL(18, 2) NOT NULL,
    total_paid          DECIMAL(18, 2),
    balance             DECIMAL(18, 2),
    note                VARCHAR,
    lines               STRUCT(id VARCHAR, "type" VARCHAR, item_id VARCHAR, item_public_id VARCHAR,
                               description VARCHAR, qty DECIMAL(18, 4),
                               original_unit_price DECIMAL(18, 2), unit_price DECIMAL(18, 2),
                               adjusted_unit_price DECIMAL(18, 2), "value" DECIMAL(18, 2),
                               unit_cost DECIMAL(18, 2), gift_card_number_last4 VARCHAR)[] NOT NULL,
    payments            STRUCT(id VARCHAR, "type" VARCHAR, payment_type_id VARCHAR, description VARCHAR,
                               amount DECIMAL(18, 2), tip DECIMAL(18, 2), gateway_transaction_id VARCHAR)[] NOT NULL
);
COMMENT ON TABLE raw.retail_tickets IS 'Heartland Retail tickets (sales/tickets with lines and payments) as landed, one row per event id and business day: a later version of a ticket (later updated_at) is a new event and a new row, canonical.pos_sales keeps the latest. Redeliveries are counted in ops.duplicate_events, bad lines kept in ops.quarantine. Money exact DECIMAL in major units, signed as Retail sends it (returns negative).';
COMMENT ON COLUMN raw.retail_tickets.business_date IS 'Business day the event was landed under: the location-local date of completed_at (else created_at).';
COMMENT ON COLUMN raw.retail_tickets.segment_path IS 'Landing segment the event was read from.';
COMMENT ON COLUMN raw.retail_tickets.line_number IS 'Line of the event in its segment, from 1.';
COMMENT ON COLUMN raw.retail_tickets.event_id IS 'HR_tickets_<id>_<updated_at digits>: the same version pulled twice is a duplicate, a later version a new event.';
COMMENT ON COLUMN raw.retail_tickets.event_type IS 'heartland_retail.ticket.';
COMMENT ON COLUMN raw.retail_tickets.received_at IS 'When the pull landed the event (UTC).';
COMMENT ON COLUMN raw.retail_tickets.ticket_id IS 'payload.id: Retail ticket id, as text.';
COMMENT ON COLUMN raw.retail_tickets.public_id IS 'payload.public_id: ticket number shown on the receipt.';
COMMENT ON COLUMN raw.retail_tickets.status IS 'payload.status: complete, incomplete or voided (mappings/transaction_statuses.csv, retail_ticket_status).';
COMMENT ON COLUMN raw.retail_tickets.station_id IS 'payload.station_id: the register (raw.retail_locations stations).';
COMMENT ON COLUMN raw.retail_tickets.source_location_id IS 'payload.source_location_id: the location (raw.retail_locations.location_id).';
COMMENT ON COLUMN raw.retail_tickets.customer_id IS 'payload.customer_id: raw.retail_customers.customer_id.';
COMMENT ON COLUMN raw.retail_tickets.customer_name IS 'payload.customer_name: personal data, kept in raw only.';
COMMENT ON COLUMN raw.retail_tickets.sales_rep IS 'payload.sales_rep: the cashier.';
COMMENT ON COLUMN raw.retail_tickets.created_at IS 'payload.created_at: when the ticket was opened.';
COMMENT ON COLUMN raw.retail_tickets.completed_at IS 'payload.completed_at: when the ticket was completed; its local date is the business day.';
COMMENT ON COLUMN raw.retail_tickets.updated_at IS 'payload.updated_at: version of the ticket; the latest wins in canonical.';
COMMENT ON COLUMN raw.retail_tickets.subtotal IS 'payload.subtotal: exact DECIMAL major units, signed.';
COMMENT ON COLUMN raw.retail_tickets.tax_total IS 'payload.tax_total: the ticket''s one tax amount (lines carry none), signed.';
COMMENT ON COLUMN raw.retail_tickets.total IS 'payload.total: what the customer owes, negative for a return.';
COMMENT ON COLUMN raw.retail_tickets.total_paid IS 'payload.total_paid: as Retail reports it.';
COMMENT ON COLUMN raw.retail_tickets.balance IS 'payload.balance: total less total_paid, as Retail reports it.';
COMMENT ON COLUMN raw.retail_tickets.note IS 'payload.custom.note: free text typed at the register (scanned for card numbers before loading).';
COMMENT ON COLUMN raw.retail_tickets.lines IS 'payload.lines: ItemLine or GiftCardLine with id, item_id, item_public_id (SKU), description, qty (DECIMAL(18,4), negative on returns), original_unit_price, unit_price, adjusted_unit_price, value (= qty x adjusted_unit_price), unit_cost, gift_card_number_last4.';
COMMENT ON COLUMN raw.retail_tickets.payments IS 'payload.payments: id, type, payment_type_id (raw.retail_payment_types), description, amount (signed, tip excluded), tip (a tip added on a card payment, signed; NULL when not sent; assumed field), gateway_transaction_id (payment custom.gateway_transaction_id, integrated card payments only).';
