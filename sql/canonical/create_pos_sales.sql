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
COMMENT ON COLUMN canonical.pos_sales.business_date IS 'Local date of closed_at in the store''s time zone. Source: raw.pos_tickets(business_date)';
COMMENT ON COLUMN canonical.pos_sales.ticket_id IS 'POS ticket id. Source: raw.pos_tickets(ticket_id)';
COMMENT ON COLUMN canonical.pos_sales.store_id IS 'Store. Source: raw.pos_tickets(store_id)';
COMMENT ON COLUMN canonical.pos_sales.legal_entity IS 'D365 legal entity of the store. Source: raw.pos_tickets(store_id)';
COMMENT ON COLUMN canonical.pos_sales.register_id IS 'Register. Source: raw.pos_tickets(register_id)';
COMMENT ON COLUMN canonical.pos_sales.cashier_id IS 'Cashier. Source: raw.pos_tickets(cashier_id)';
COMMENT ON COLUMN canonical.pos_sales.ticket_type IS 'SALE or RETURN. Source: raw.pos_tickets(ticket_type)';
COMMENT ON COLUMN canonical.pos_sales.ticket_status IS 'CLOSED or VOIDED. Source: raw.pos_tickets(status)';
COMMENT ON COLUMN canonical.pos_sales.status_code IS 'D365-style status from mappings/transaction_statuses.csv. Source: raw.pos_tickets(status)';
COMMENT ON COLUMN canonical.pos_sales.is_financial IS 'False for voided tickets. Source: raw.pos_tickets(status)';
COMMENT ON COLUMN canonical.pos_sales.original_ticket_id IS 'For returns, the ticket returned. Source: raw.pos_tickets(original_ticket_id)';
COMMENT ON COLUMN canonical.pos_sales.currency IS 'Ticket currency. Source: raw.pos_tickets(currency)';
COMMENT ON COLUMN canonical.pos_sales.subtotal IS 'Sum of quantity × unit price, signed (returns negative). Source: raw.pos_tickets(subtotal, ticket_type, currency)';
COMMENT ON COLUMN canonical.pos_sales.discount_total IS 'Discounts, signed like subtotal. Source: raw.pos_tickets(discount_total, ticket_type, currency)';
COMMENT ON COLUMN canonical.pos_sales.tax_total IS 'Sales tax, signed. Source: raw.pos_tickets(tax_total, ticket_type, currency)';
COMMENT ON COLUMN canonical.pos_sales.total IS 'subtotal - discount_total + tax_total, signed. Source: raw.pos_tickets(total, ticket_type, currency)';
COMMENT ON COLUMN canonical.pos_sales.tendered_total IS 'Sum of tender amounts (tips excluded), signed. Source: raw.pos_tickets(tenders, ticket_type, currency)';
COMMENT ON COLUMN canonical.pos_sales.tip_total IS 'Tips added on card tenders. Source: raw.pos_tickets(tenders, currency)';
COMMENT ON COLUMN canonical.pos_sales.line_count IS 'Number of lines. Source: raw.pos_tickets(lines)';
COMMENT ON COLUMN canonical.pos_sales.tender_count IS 'Number of tenders. Source: raw.pos_tickets(tenders)';
COMMENT ON COLUMN canonical.pos_sales.base_currency IS 'Accounting currency of the legal entity. Source: raw.pos_tickets(store_id)';
COMMENT ON COLUMN canonical.pos_sales.fx_rate IS 'Latest rate on or before business_date. Source: raw.pos_tickets(currency, business_date)';
COMMENT ON COLUMN canonical.pos_sales.base_total IS 'total in base currency. Source: raw.pos_tickets(total, ticket_type, currency, business_date)';
COMMENT ON COLUMN canonical.pos_sales.opened_at IS 'Ticket opened (UTC). Source: raw.pos_tickets(opened_at)';
COMMENT ON COLUMN canonical.pos_sales.closed_at IS 'Ticket closed (UTC). Source: raw.pos_tickets(closed_at)';
COMMENT ON COLUMN canonical.pos_sales.local_closed_at IS 'closed_at in the store''s time zone. Source: raw.pos_tickets(closed_at, store_id)';
COMMENT ON COLUMN canonical.pos_sales.received_at IS 'When the ticket landed. Source: raw.pos_tickets(received_at)';
COMMENT ON COLUMN canonical.pos_sales.is_late IS 'Landed after its business day had ended. Source: raw.pos_tickets(received_at, business_date)';
COMMENT ON COLUMN canonical.pos_sales.mapping_issue IS 'Why the row cannot be trusted for the ledger; NULL when clean. Source: raw.pos_tickets(store_id, status, currency)';
COMMENT ON COLUMN canonical.pos_sales.source_event_id IS 'Event that carried the ticket. Source: raw.pos_tickets(event_id)';
COMMENT ON COLUMN canonical.pos_sales.source_segment_path IS 'Landing segment of that event. Source: raw.pos_tickets(segment_path)';
COMMENT ON COLUMN canonical.pos_sales.source_line_number IS 'Line of that event in its segment. Source: raw.pos_tickets(line_number)';
COMMENT ON COLUMN canonical.pos_sales.superseded_versions IS 'Earlier versions of the ticket landed the same day and replaced by this one (Retail: a ticket edited after it was pulled; the latest updated_at wins). Source: raw.retail_tickets(ticket_id, updated_at)';
