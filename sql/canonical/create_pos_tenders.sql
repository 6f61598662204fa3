CREATE TABLE IF NOT EXISTS canonical.pos_tenders (
    business_date           DATE NOT NULL,
    ticket_id               VARCHAR NOT NULL,
    tender_id               VARCHAR NOT NULL,
    store_id                VARCHAR NOT NULL,
    ticket_type             VARCHAR NOT NULL,
    is_financial            BOOLEAN,
    tender_type             VARCHAR,
    payment_method_code     VARCHAR,
    card_brand              VARCHAR,
    card_first6             VARCHAR,
    card_last4              VARCHAR,
    gift_card_last4         VARCHAR,
    gateway_transaction_id  VARCHAR,
    currency                VARCHAR NOT NULL,
    amount                  DECIMAL(18, 2),
    tip_amount              DECIMAL(18, 2),
    base_amount             DECIMAL(18, 2),
    local_closed_at         TIMESTAMP,
    mapping_issue           VARCHAR
);
COMMENT ON TABLE canonical.pos_tenders IS 'How each POS ticket was paid; a card tender points at its gateway transaction.';
COMMENT ON COLUMN canonical.pos_tenders.business_date IS 'Business day of the ticket. Source: raw.retail_tickets(business_date)';
COMMENT ON COLUMN canonical.pos_tenders.ticket_id IS 'Ticket. Source: raw.retail_tickets(ticket_id)';
COMMENT ON COLUMN canonical.pos_tenders.tender_id IS '<ticket_id>-P<payment id>. Source: raw.retail_tickets(ticket_id, payments)';
COMMENT ON COLUMN canonical.pos_tenders.store_id IS 'Store. Source: raw.retail_tickets(source_location_id)';
COMMENT ON COLUMN canonical.pos_tenders.ticket_type IS 'SALE or RETURN. Source: raw.retail_tickets(total)';
COMMENT ON COLUMN canonical.pos_tenders.is_financial IS 'False for payments of voided or incomplete tickets. Source: raw.retail_tickets(status)';
COMMENT ON COLUMN canonical.pos_tenders.tender_type IS 'CARD, CASH, GIFT_CARD, STORE_CREDIT: the payment type mapped through mappings/retail_payment_types.csv. Source: raw.retail_tickets(payments), raw.retail_payment_types(name)';
COMMENT ON COLUMN canonical.pos_tenders.payment_method_code IS 'D365 payment method (card tenders by brand); NULL when unmapped. Source: raw.retail_tickets(payments), raw.retail_payment_types(name)';
COMMENT ON COLUMN canonical.pos_tenders.card_brand IS 'Card brand for card tenders, from the payment type. Source: raw.retail_tickets(payments), raw.retail_payment_types(name)';
COMMENT ON COLUMN canonical.pos_tenders.card_first6 IS 'First six digits: NULL, Heartland Retail payments carry no card digits. Source: raw.retail_tickets(payments)';
COMMENT ON COLUMN canonical.pos_tenders.card_last4 IS 'Last four digits: NULL, Heartland Retail payments carry no card digits. Source: raw.retail_tickets(payments)';
COMMENT ON COLUMN canonical.pos_tenders.gift_card_last4 IS 'Last four digits of a gift card paid with: NULL, Retail payments carry none. Source: raw.retail_tickets(payments)';
COMMENT ON COLUMN canonical.pos_tenders.gateway_transaction_id IS 'Gateway transaction (TRN_…) of an integrated card payment. Source: raw.retail_tickets(payments)';
COMMENT ON COLUMN canonical.pos_tenders.currency IS 'Ticket currency. Source: raw.retail_tickets(source_location_id)';
COMMENT ON COLUMN canonical.pos_tenders.amount IS 'Payment amount, signed (a return''s refund negative). Source: raw.retail_tickets(payments)';
COMMENT ON COLUMN canonical.pos_tenders.tip_amount IS 'Tip added on the payment, outside its amount (its tip; 0 when not sent). Source: raw.retail_tickets(payments)';
COMMENT ON COLUMN canonical.pos_tenders.base_amount IS 'amount in base currency. Source: raw.retail_tickets(payments, source_location_id, business_date)';
COMMENT ON COLUMN canonical.pos_tenders.local_closed_at IS 'Ticket completion time in the store''s zone, for time-window matching. Source: raw.retail_tickets(completed_at, created_at, source_location_id)';
COMMENT ON COLUMN canonical.pos_tenders.mapping_issue IS 'Unmapped payment type or method, or a ticket-level issue; NULL when clean. Source: raw.retail_tickets(payments, source_location_id)';
