-- POS tickets flattened into three tables: the sale (ticket), its lines and its tenders.
-- Returns carry negative amounts so that sums over a day are net sales.
CREATE TABLE IF NOT EXISTS canonical.pos_sales (
    business_date       DATE NOT NULL,
    ticket_id           VARCHAR NOT NULL,
    store_id            VARCHAR NOT NULL,
    legal_entity        VARCHAR,
    register_id         VARCHAR,
    cashier_id          VARCHAR,
    ticket_type         VARCHAR NOT NULL,
    ticket_status       VARCHAR NOT NULL,
    status_code         VARCHAR,
    is_financial        BOOLEAN,
    original_ticket_id  VARCHAR,
    currency            VARCHAR NOT NULL,
    subtotal            DECIMAL(18, 2),
    discount_total      DECIMAL(18, 2),
    tax_total           DECIMAL(18, 2),
    total               DECIMAL(18, 2),
    tendered_total      DECIMAL(18, 2),
    tip_total           DECIMAL(18, 2),
    line_count          BIGINT NOT NULL,
    tender_count        BIGINT NOT NULL,
    base_currency       VARCHAR,
    fx_rate             DECIMAL(18, 8),
    base_total          DECIMAL(18, 2),
    opened_at           TIMESTAMPTZ,
    closed_at           TIMESTAMPTZ NOT NULL,
    local_closed_at     TIMESTAMP,
    received_at         TIMESTAMPTZ NOT NULL,
    is_late             BOOLEAN NOT NULL,
    mapping_issue       VARCHAR,
    source_event_id     VARCHAR NOT NULL,
    source_segment_path VARCHAR NOT NULL,
    source_line_number  BIGINT NOT NULL,
    superseded_versions BIGINT
);
COMMENT ON TABLE canonical.pos_sales IS 'POS tickets (sales and returns), one row per ticket in its latest version.';
COMMENT ON COLUMN canonical.pos_sales.business_date IS 'Local date of completed_at (else created_at) in the location''s time zone. Source: raw.retail_tickets(business_date)';
COMMENT ON COLUMN canonical.pos_sales.ticket_id IS 'Heartland Retail ticket id. Source: raw.retail_tickets(ticket_id)';
COMMENT ON COLUMN canonical.pos_sales.store_id IS 'Store: the location''s public_id (Location #), as in mappings/stores.csv. Source: raw.retail_tickets(source_location_id), raw.retail_locations(public_id)';
COMMENT ON COLUMN canonical.pos_sales.legal_entity IS 'D365 legal entity of the store. Source: raw.retail_tickets(source_location_id), raw.retail_locations(public_id)';
COMMENT ON COLUMN canonical.pos_sales.register_id IS 'Register: the name of the ticket''s station. Source: raw.retail_tickets(station_id), raw.retail_locations(stations)';
COMMENT ON COLUMN canonical.pos_sales.cashier_id IS 'Cashier: the ticket''s sales rep. Source: raw.retail_tickets(sales_rep)';
COMMENT ON COLUMN canonical.pos_sales.ticket_type IS 'SALE, or RETURN when the total is below zero. Source: raw.retail_tickets(total)';
COMMENT ON COLUMN canonical.pos_sales.ticket_status IS 'Retail status as sent (complete, incomplete, voided). Source: raw.retail_tickets(status)';
COMMENT ON COLUMN canonical.pos_sales.status_code IS 'D365-style status from mappings/transaction_statuses.csv (retail_ticket_status). Source: raw.retail_tickets(status)';
COMMENT ON COLUMN canonical.pos_sales.is_financial IS 'False for voided and incomplete tickets. Source: raw.retail_tickets(status)';
COMMENT ON COLUMN canonical.pos_sales.original_ticket_id IS 'For returns, the ticket returned: NULL, Heartland Retail does not name it. Source: raw.retail_tickets(ticket_id)';
COMMENT ON COLUMN canonical.pos_sales.currency IS 'Ticket currency: the store''s (mappings/stores.csv). Source: raw.retail_tickets(source_location_id)';
COMMENT ON COLUMN canonical.pos_sales.subtotal IS 'Sum of quantity × list unit price, signed (returns negative): total - tax_total + discount_total. Source: raw.retail_tickets(total, tax_total, lines)';
COMMENT ON COLUMN canonical.pos_sales.discount_total IS 'Discounts, signed like subtotal: the lines'' discount_amount. Source: raw.retail_tickets(lines)';
COMMENT ON COLUMN canonical.pos_sales.tax_total IS 'Sales tax, signed. Source: raw.retail_tickets(tax_total)';
COMMENT ON COLUMN canonical.pos_sales.total IS 'subtotal - discount_total + tax_total, signed. Source: raw.retail_tickets(total)';
COMMENT ON COLUMN canonical.pos_sales.tendered_total IS 'Sum of payment amounts, signed. Source: raw.retail_tickets(payments)';
COMMENT ON COLUMN canonical.pos_sales.tip_total IS 'Tips added on card payments (the payments'' tip; 0 when not sent). Source: raw.retail_tickets(payments)';
COMMENT ON COLUMN canonical.pos_sales.line_count IS 'Number of lines. Source: raw.retail_tickets(lines)';
COMMENT ON COLUMN canonical.pos_sales.tender_count IS 'Number of payments. Source: raw.retail_tickets(payments)';
COMMENT ON COLUMN canonical.pos_sales.base_currency IS 'Accounting currency of the legal entity. Source: raw.retail_tickets(source_location_id)';
COMMENT ON COLUMN canonical.pos_sales.fx_rate IS 'Latest rate on or before business_date. Source: raw.retail_tickets(source_location_id, business_date)';
COMMENT ON COLUMN canonical.pos_sales.base_total IS 'total in base currency. Source: raw.retail_tickets(total, source_location_id, business_date)';
COMMENT ON COLUMN canonical.pos_sales.opened_at IS 'Ticket created (UTC). Source: raw.retail_tickets(created_at)';
COMMENT ON COLUMN canonical.pos_sales.closed_at IS 'Ticket completed (UTC), else created. Source: raw.retail_tickets(completed_at, created_at)';
COMMENT ON COLUMN canonical.pos_sales.local_closed_at IS 'closed_at in the store''s time zone. Source: raw.retail_tickets(completed_at, created_at, source_location_id)';
COMMENT ON COLUMN canonical.pos_sales.received_at IS 'When the ticket landed. Source: raw.retail_tickets(received_at)';
COMMENT ON COLUMN canonical.pos_sales.is_late IS 'Landed after its business day had ended. Source: raw.retail_tickets(received_at, business_date)';
COMMENT ON COLUMN canonical.pos_sales.mapping_issue IS 'Why the row cannot be trusted for the ledger; NULL when clean. Source: raw.retail_tickets(source_location_id, status, lines, tax_total, total)';
COMMENT ON COLUMN canonical.pos_sales.source_event_id IS 'Event that carried the ticket''s latest version. Source: raw.retail_tickets(event_id)';
COMMENT ON COLUMN canonical.pos_sales.source_segment_path IS 'Landing segment of that event. Source: raw.retail_tickets(segment_path)';
COMMENT ON COLUMN canonical.pos_sales.source_line_number IS 'Line of that event in its segment. Source: raw.retail_tickets(line_number)';
COMMENT ON COLUMN canonical.pos_sales.superseded_versions IS 'Earlier versions of the ticket landed the same day and replaced by this one (Retail: a ticket edited after it was pulled; the latest updated_at wins). Source: raw.retail_tickets(ticket_id, updated_at)';
