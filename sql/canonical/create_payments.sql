-- One row per gateway transaction in its latest state, typed, mapped and in base currency.
CREATE TABLE IF NOT EXISTS canonical.payments (
    business_date           DATE NOT NULL,
    transaction_id          VARCHAR NOT NULL,
    store_id                VARCHAR,
    legal_entity            VARCHAR,
    merchant_id             VARCHAR NOT NULL,
    transaction_type        VARCHAR NOT NULL,
    gateway_status          VARCHAR NOT NULL,
    status_code             VARCHAR,
    is_financial            BOOLEAN,
    payment_method_code     VARCHAR,
    card_brand              VARCHAR,
    card_first6             VARCHAR,
    card_last4              VARCHAR,
    payment_token           VARCHAR,
    authcode                VARCHAR,
    entry_mode              VARCHAR,
    batch_id                VARCHAR,
    parent_transaction_id   VARCHAR,
    reference               VARCHAR,
    currency                VARCHAR NOT NULL,
    amount                  DECIMAL(18, 2),
    tip_amount              DECIMAL(18, 2),
    base_currency           VARCHAR,
    fx_rate                 DECIMAL(18, 8),
    base_amount             DECIMAL(18, 2),
    time_created            TIMESTAMPTZ NOT NULL,
    local_time              TIMESTAMP,
    last_received_at        TIMESTAMPTZ NOT NULL,
    is_late                 BOOLEAN NOT NULL,
    event_count             BIGINT NOT NULL,
    mapping_issue           VARCHAR,
    source_event_id         VARCHAR NOT NULL,
    source_segment_path     VARCHAR NOT NULL,
    source_line_number      BIGINT NOT NULL
);
COMMENT ON TABLE canonical.payments IS 'Gateway transactions, one row per transaction id in its latest state.';
COMMENT ON COLUMN canonical.payments.business_date IS 'Business day: local date of time_created in the store''s time zone. Source: raw.payment_transactions(business_date)';
COMMENT ON COLUMN canonical.payments.transaction_id IS 'Heartland gateway id (TRN_…). Source: raw.payment_transactions(transaction_id)';
COMMENT ON COLUMN canonical.payments.store_id IS 'Store named by site_reference, which must be a store of the merchant id in mappings/stores.csv; without a site_reference, the merchant id''s only store. NULL (mapping_issue unknown_store) when neither holds: never another store of the same merchant. Source: raw.payment_transactions(site_reference, merchant_id)';
COMMENT ON COLUMN canonical.payments.legal_entity IS 'D365 legal entity (dataAreaId) of the store. Source: raw.payment_transactions(merchant_id)';
COMMENT ON COLUMN canonical.payments.merchant_id IS 'Heartland merchant id (MER_…). Source: raw.payment_transactions(merchant_id)';
COMMENT ON COLUMN canonical.payments.transaction_type IS 'SALE or REFUND. Source: raw.payment_transactions(type)';
COMMENT ON COLUMN canonical.payments.gateway_status IS 'Latest Heartland status (CAPTURED, REVERSED, …). Source: raw.payment_transactions(status)';
COMMENT ON COLUMN canonical.payments.status_code IS 'D365-style status (Invoiced, Voided, …) from mappings/transaction_statuses.csv. Source: raw.payment_transactions(status)';
COMMENT ON COLUMN canonical.payments.is_financial IS 'True when money moved (captured, batched or funded). Source: raw.payment_transactions(status)';
COMMENT ON COLUMN canonical.payments.payment_method_code IS 'D365 payment method from mappings/payment_methods.csv; NULL when unmapped. Source: raw.payment_transactions(card_brand)';
COMMENT ON COLUMN canonical.payments.card_brand IS 'Card brand as Heartland reports it. Source: raw.payment_transactions(card_brand)';
COMMENT ON COLUMN canonical.payments.card_first6 IS 'First six digits (BIN); the only card digits kept besides last4. Source: raw.payment_transactions(masked_number_first6last4)';
COMMENT ON COLUMN canonical.payments.card_last4 IS 'Last four digits. Source: raw.payment_transactions(masked_number_first6last4)';
COMMENT ON COLUMN canonical.payments.payment_token IS 'Gateway token (PMT_…), never a card number. Source: raw.payment_transactions(payment_token)';
COMMENT ON COLUMN canonical.payments.authcode IS 'Issuer authorisation code. Source: raw.payment_transactions(authcode)';
COMMENT ON COLUMN canonical.payments.entry_mode IS 'CHIP, CONTACTLESS_CHIP, SWIPE, MANUAL. Source: raw.payment_transactions(entry_mode)';
COMMENT ON COLUMN canonical.payments.batch_id IS 'Settlement batch (BAT_…) for captured transactions. Source: raw.payment_transactions(batch_id)';
COMMENT ON COLUMN canonical.payments.parent_transaction_id IS 'For refunds, the sale refunded. Source: raw.payment_transactions(parent_resource_id)';
COMMENT ON COLUMN canonical.payments.reference IS 'Merchant reference: the POS tender id. Source: raw.payment_transactions(reference)';
COMMENT ON COLUMN canonical.payments.currency IS 'Transaction currency (ISO 4217). Source: raw.payment_transactions(currency)';
COMMENT ON COLUMN canonical.payments.amount IS 'Signed amount in transaction currency, tip included; refunds negative. Source: raw.payment_transactions(amount, type, currency)';
COMMENT ON COLUMN canonical.payments.tip_amount IS 'Tip (gratuity) part of amount, signed like amount. Source: raw.payment_transactions(gratuity_amount, type, currency)';
COMMENT ON COLUMN canonical.payments.base_currency IS 'Accounting currency of the legal entity. Source: raw.payment_transactions(merchant_id)';
COMMENT ON COLUMN canonical.payments.fx_rate IS 'Rate of the latest mappings/fx_rates.csv row on or before business_date. Source: raw.payment_transactions(currency, business_date)';
COMMENT ON COLUMN canonical.payments.base_amount IS 'amount × fx_rate rounded half away from zero to the cent. Source: raw.payment_transactions(amount, type, currency, business_date)';
COMMENT ON COLUMN canonical.payments.time_created IS 'When the gateway created the transaction (UTC). Source: raw.payment_transactions(time_created)';
COMMENT ON COLUMN canonical.payments.local_time IS 'time_created in the store''s time zone. Source: raw.payment_transactions(time_created, merchant_id)';
COMMENT ON COLUMN canonical.payments.last_received_at IS 'When the latest event of this transaction landed. Source: raw.payment_transactions(received_at)';
COMMENT ON COLUMN canonical.payments.is_late IS 'An event of this transaction landed after its business day had ended (store-local midnight). Source: raw.payment_transactions(received_at, business_date)';
COMMENT ON COLUMN canonical.payments.event_count IS 'Events loaded for this transaction (e.g. 2 for a capture then a void). Source: raw.payment_transactions(event_id)';
COMMENT ON COLUMN canonical.payments.mapping_issue IS 'Why the row cannot be trusted for the ledger (unmapped value, unknown store, missing rate); NULL when clean. Source: raw.payment_transactions(card_brand, status, merchant_id, currency)';
COMMENT ON COLUMN canonical.payments.source_event_id IS 'Event that carried the latest state. Source: raw.payment_transactions(event_id)';
COMMENT ON COLUMN canonical.payments.source_segment_path IS 'Landing segment of that event. Source: raw.payment_transactions(segment_path)';
COMMENT ON COLUMN canonical.payments.source_line_number IS 'Line of that event in its segment. Source: raw.payment_transactions(line_number)';
