CREATE TABLE IF NOT EXISTS canonical.pos_sale_lines (
    business_date       DATE NOT NULL,
    ticket_id           VARCHAR NOT NULL,
    line_number         BIGINT NOT NULL,
    store_id            VARCHAR NOT NULL,
    ticket_type         VARCHAR NOT NULL,
    is_financial        BOOLEAN,
    line_type           VARCHAR,
    sku                 VARCHAR,
    description         VARCHAR,
    quantity            BIGINT NOT NULL,
    currency            VARCHAR NOT NULL,
    unit_price          DECIMAL(18, 2),
    discount_amount     DECIMAL(18, 2),
    tax_code            VARCHAR,
    d365_sales_tax_code VARCHAR,
    tax_amount          DECIMAL(18, 2),
    unit_cost           DECIMAL(18, 2),
    line_total          DECIMAL(18, 2),
    cost_total          DECIMAL(18, 2),
    base_line_total     DECIMAL(18, 2),
    base_cost_total     DECIMAL(18, 2),
    mapping_issue       VARCHAR
);
COMMENT ON TABLE canonical.pos_sale_lines IS 'POS ticket lines; returns carry negative quantity and amounts.';
COMMENT ON COLUMN canonical.pos_sale_lines.business_date IS 'Business day of the ticket. Source: raw.pos_tickets(business_date)';
COMMENT ON COLUMN canonical.pos_sale_lines.ticket_id IS 'Ticket. Source: raw.pos_tickets(ticket_id)';
COMMENT ON COLUMN canonical.pos_sale_lines.line_number IS 'Line within the ticket. Source: raw.pos_tickets(lines)';
COMMENT ON COLUMN canonical.pos_sale_lines.store_id IS 'Store. Source: raw.pos_tickets(store_id)';
COMMENT ON COLUMN canonical.pos_sale_lines.ticket_type IS 'SALE or RETURN. Source: raw.pos_tickets(ticket_type)';
COMMENT ON COLUMN canonical.pos_sale_lines.is_financial IS 'False for lines of voided tickets. Source: raw.pos_tickets(status)';
COMMENT ON COLUMN canonical.pos_sale_lines.sku IS 'Item SKU. Source: raw.pos_tickets(lines)';
COMMENT ON COLUMN canonical.pos_sale_lines.description IS 'Item description. Source: raw.pos_tickets(lines)';
COMMENT ON COLUMN canonical.pos_sale_lines.quantity IS 'Units, negative on returns. Source: raw.pos_tickets(lines, ticket_type)';
COMMENT ON COLUMN canonical.pos_sale_lines.currency IS 'Ticket currency. Source: raw.pos_tickets(currency)';
COMMENT ON COLUMN canonical.pos_sale_lines.unit_price IS 'Unit price (always positive). Source: raw.pos_tickets(lines, currency)';
COMMENT ON COLUMN canonical.pos_sale_lines.discount_amount IS 'Line discount, signed like quantity. Source: raw.pos_tickets(lines, ticket_type, currency)';
COMMENT ON COLUMN canonical.pos_sale_lines.tax_code IS 'POS tax code. Source: raw.pos_tickets(lines)';
COMMENT ON COLUMN canonical.pos_sale_lines.d365_sales_tax_code IS 'D365 sales tax code from mappings/tax_codes.csv. Source: raw.pos_tickets(lines)';
COMMENT ON COLUMN canonical.pos_sale_lines.tax_amount IS 'Line tax, signed. Source: raw.pos_tickets(lines, ticket_type, currency)';
COMMENT ON COLUMN canonical.pos_sale_lines.unit_cost IS 'Unit cost for cost of goods sold. Source: raw.pos_tickets(lines, currency)';
COMMENT ON COLUMN canonical.pos_sale_lines.line_total IS 'quantity × unit_price - discount + tax, signed. Source: raw.pos_tickets(lines, ticket_type, currency)';
COMMENT ON COLUMN canonical.pos_sale_lines.cost_total IS 'quantity × unit_cost, signed. Source: raw.pos_tickets(lines, ticket_type, currency)';
COMMENT ON COLUMN canonical.pos_sale_lines.base_line_total IS 'line_total in base currency. Source: raw.pos_tickets(lines, ticket_type, currency, business_date)';
COMMENT ON COLUMN canonical.pos_sale_lines.base_cost_total IS 'cost_total in base currency. Source: raw.pos_tickets(lines, ticket_type, currency, business_date)';
COMMENT ON COLUMN canonical.pos_sale_lines.mapping_issue IS 'Unmapped tax code or a ticket-level issue; NULL when clean. Source: raw.pos_tickets(lines, store_id)';
COMMENT ON COLUMN canonical.pos_sale_lines.line_type IS 'ITEM (goods sold or returned) or GIFT_CARD (a gift card sold: posts to the gift card liability, not revenue); NULL from the legacy POS feed, which sells items only. Source: raw.retail_tickets(lines)';
