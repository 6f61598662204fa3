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
COMMENT ON COLUMN canonical.pos_tenders.business_date IS 'Business day of the ticket. Source: raw.pos_tickets(business_date)';
COMMENT ON COLUMN canonical.pos_tenders.ticket_id IS 'Ticket. Source: raw.pos_tickets(ticket_id)';
COMMENT ON COLUMN canonical.pos_tenders.tender_id IS 'Tender id; the gateway transaction''s reference for card tenders. Source: raw.pos_tickets(tenders)';
COMMENT ON COLUMN canonical.pos_tenders.store_id IS 'Store. Source: raw.pos_tickets(store_id)';
COMMENT ON COLUMN canonical.pos_tenders.ticket_type IS 'SALE or RETURN. Source: raw.pos_tickets(ticket_type)';
COMMENT ON COLUMN canonical.pos_tenders.is_financial IS 'False for tenders of voided tickets. Source: raw.pos_tickets(status)';
COMMENT ON COLUMN canonical.pos_tenders.tender_type IS 'CARD, CASH, GIFT_CARD, STORE_CREDIT as the POS sends it. Source: raw.pos_tickets(tenders)';
COMMENT ON COLUMN canonical.pos_tenders.payment_method_code IS 'D365 payment method (card tenders by brand); NULL when unmapped. Source: raw.pos_tickets(tenders)';
COMMENT ON COLUMN canonical.pos_tenders.card_brand IS 'Card brand for card tenders. Source: raw.pos_tickets(tenders)';
COMMENT ON COLUMN canonical.pos_tenders.card_first6 IS 'First six digits. Source: raw.pos_tickets(tenders)';
COMMENT ON COLUMN canonical.pos_tenders.card_last4 IS 'Last four digits. Source: raw.pos_tickets(tenders)';
COMMENT ON COLUMN canonical.pos_tenders.gift_card_last4 IS 'Last four digits of a gift card. Source: raw.pos_tickets(tenders)';
COMMENT ON COLUMN canonical.pos_tenders.gateway_transaction_id IS 'Gateway transaction (TRN_…) of a card tender. Source: raw.pos_tickets(tenders)';
COMMENT ON COLUMN canonical.pos_tenders.currency IS 'Ticket currency. Source: raw.pos_tickets(currency)';
COMMENT ON COLUMN canonical.pos_tenders.amount IS 'Tendered amount without tip, signed (returns negative). Source: raw.pos_tickets(tenders, ticket_type, currency)';
COMMENT ON COLUMN canonical.pos_tenders.tip_amount IS 'Tip added on the tender. Source: raw.pos_tickets(tenders, ticket_type, currency)';
COMMENT ON COLUMN canonical.pos_tenders.base_amount IS 'amount in base currency. Source: raw.pos_tickets(tenders, ticket_type, currency, business_date)';
COMMENT ON COLUMN canonical.pos_tenders.local_closed_at IS 'Ticket close time in the store''s zone, for time-window matching. Source: raw.pos_tickets(closed_at, store_id)';
COMMENT ON COLUMN canonical.pos_tenders.mapping_issue IS 'Unmapped tender type or brand, or a ticket-level issue; NULL when clean. Source: raw.pos_tickets(tenders, store_id)';
