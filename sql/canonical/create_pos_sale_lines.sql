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
COMMENT ON COLUMN canonical.pos_sale_lines.business_date IS 'Business day of the ticket. Source: raw.retail_tickets(business_date)';
COMMENT ON COLUMN canonical.pos_sale_lines.ticket_id IS 'Ticket. Source: raw.retail_tickets(ticket_id)';
COMMENT ON COLUMN canonical.pos_sale_lines.line_number IS 'Line within the ticket, from 1 in the order Retail sent them. Source: raw.retail_tickets(lines)';
COMMENT ON COLUMN canonical.pos_sale_lines.store_id IS 'Store. Source: raw.retail_tickets(source_location_id)';
COMMENT ON COLUMN canonical.pos_sale_lines.ticket_type IS 'SALE or RETURN. Source: raw.retail_tickets(total)';
COMMENT ON COLUMN canonical.pos_sale_lines.is_financial IS 'False for lines of voided or incomplete tickets. Source: raw.retail_tickets(status)';
COMMENT ON COLUMN canonical.pos_sale_lines.sku IS 'Item SKU (Item #). Source: raw.retail_tickets(lines)';
COMMENT ON COLUMN canonical.pos_sale_lines.description IS 'Item description. Source: raw.retail_tickets(lines)';
COMMENT ON COLUMN canonical.pos_sale_lines.quantity IS 'Units, negative on returns. Source: raw.retail_tickets(lines)';
COMMENT ON COLUMN canonical.pos_sale_lines.currency IS 'Ticket currency. Source: raw.retail_tickets(source_location_id)';
COMMENT ON COLUMN canonical.pos_sale_lines.unit_price IS 'List unit price (original_unit_price; always positive). Source: raw.retail_tickets(lines)';
COMMENT ON COLUMN canonical.pos_sale_lines.discount_amount IS 'Line discount, signed like quantity: quantity × list price - value. Source: raw.retail_tickets(lines)';
COMMENT ON COLUMN canonical.pos_sale_lines.tax_code IS 'Tax code: the store''s (mappings/stores.csv), EXEMPT for gift cards. Source: raw.retail_tickets(source_location_id, lines)';
COMMENT ON COLUMN canonical.pos_sale_lines.d365_sales_tax_code IS 'D365 sales tax code from mappings/tax_codes.csv. Source: raw.retail_tickets(source_location_id, lines)';
COMMENT ON COLUMN canonical.pos_sale_lines.tax_amount IS 'The ticket''s tax_total allocated to its item lines to the cent, signed. Source: raw.retail_tickets(tax_total, lines)';
COMMENT ON COLUMN canonical.pos_sale_lines.unit_cost IS 'Unit cost for cost of goods sold (the line''s, else the item''s). Source: raw.retail_tickets(lines), raw.retail_items(cost)';
COMMENT ON COLUMN canonical.pos_sale_lines.line_total IS 'quantity × unit_price - discount + tax, signed. Source: raw.retail_tickets(lines, tax_total)';
COMMENT ON COLUMN canonical.pos_sale_lines.cost_total IS 'quantity × unit_cost, signed. Source: raw.retail_tickets(lines), raw.retail_items(cost)';
COMMENT ON COLUMN canonical.pos_sale_lines.base_line_total IS 'line_total in base currency. Source: raw.retail_tickets(lines, tax_total, source_location_id, business_date)';
COMMENT ON COLUMN canonical.pos_sale_lines.base_cost_total IS 'cost_total in base currency. Source: raw.retail_tickets(lines, source_location_id, business_date), raw.retail_items(cost)';
COMMENT ON COLUMN canonical.pos_sale_lines.mapping_issue IS 'Unmapped tax code, a fractional quantity or a ticket-level issue; NULL when clean. Source: raw.retail_tickets(lines, source_location_id)';
COMMENT ON COLUMN canonical.pos_sale_lines.line_type IS 'ITEM (goods sold or returned) or GIFT_CARD (a gift card sold: posts to the gift card liability, not revenue). Source: raw.retail_tickets(lines)';
