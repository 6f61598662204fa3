-- Gateway transactions as Heartland (GP-API) reports them: one row per delivered event, a
-- transaction's later states (void, reversal) arriving as further events. Money in minor units.
CREATE TABLE IF NOT EXISTS raw.payment_transactions (
    business_date               DATE NOT NULL,
    segment_path                VARCHAR NOT NULL,
    line_number                 BIGINT NOT NULL,
    event_id                    VARCHAR NOT NULL,
    event_type                  VARCHAR,
    received_at                 TIMESTAMPTZ NOT NULL,
    transaction_id              VARCHAR NOT NULL,
    time_created                TIMESTAMPTZ NOT NULL,
    time_last_updated           TIMESTAMPTZ,
    status                      VARCHAR NOT NULL,
    type                        VARCHAR NOT NULL,
    channel                     VARCHAR,
    merchant_id                 VARCHAR NOT NULL,
    merchant_name               VARCHAR,
    account_id                  VARCHAR,
    site_reference              VARCHAR,
    amount                      BIGINT NOT NULL,
    gratuity_amount             BIGINT NOT NULL,
    currency                    VARCHAR NOT NULL,
    reference                   VARCHAR,
    description                 VARCHAR,
    batch_id                    VARCHAR,
    parent_resource_id          VARCHAR,
    result_code                 VARCHAR,
    result_message              VARCHAR,
    entry_mode                  VARCHAR,
    payment_token               VARCHAR,
    card_brand                  VARCHAR,
    masked_number_first6last4   VARCHAR,
    authcode                    VARCHAR,
    brand_reference             VARCHAR,
    funding                     VARCHAR,
    action_id                   VARCHAR,
    action_type                 VARCHAR,
    action_result_code          VARCHAR
);
COMMENT ON COLUMN raw.payment_transactions.segment_path IS 'Landing segment the event was read from.';
COMMENT ON COLUMN raw.payment_transactions.line_number IS 'Line of the event in its segment, from 1.';
COMMENT ON COLUMN raw.payment_transactions.amount IS 'payload.amount: integer minor units, tip included; sign comes from type.';
COMMENT ON TABLE raw.payment_transactions IS 'Heartland gateway (GP-API) transaction events as landed, one row per event id and business day: a void or reversal is a further event of the same transaction_id (canonical.payments keeps the latest state). Redeliveries are counted in ops.duplicate_events and bad lines kept in ops.quarantine instead. Money in integer minor units, unsigned; the cardholder name is not kept.';
COMMENT ON COLUMN raw.payment_transactions.business_date IS 'Business day the event was landed under (its segment''s business_date= folder): the local date of time_created in the store''s time zone.';
COMMENT ON COLUMN raw.payment_transactions.event_id IS 'Event id, EVT_ + payload.id without TRN_ + _ + its status, fields both the webhook and the end-of-day pull carry, so they land one state under the same id; a later delivery of the same id is a duplicate, not a second row.';
COMMENT ON COLUMN raw.payment_transactions.event_type IS 'transaction.captured, .preauthorized, .declined, .refunded, .voided or .reversed.';
COMMENT ON COLUMN raw.payment_transactions.received_at IS 'When the event was received and landed (UTC): by the webhook receiver, the API pull or the sandbox generator.';
COMMENT ON COLUMN raw.payment_transactions.transaction_id IS 'payload.id: Heartland gateway transaction id (TRN_…); several events may share it.';
COMMENT ON COLUMN raw.payment_transactions.time_created IS 'payload.time_created: when the gateway created the transaction (UTC); its store-local date is the business day.';
COMMENT ON COLUMN raw.payment_transactions.time_last_updated IS 'payload.time_last_updated (UTC): later than time_created for voids and reversals; NULL when not sent.';
COMMENT ON COLUMN raw.payment_transactions.status IS 'payload.status: CAPTURED, PREAUTHORIZED, DECLINED or REVERSED (mapped to a D365-style status by mappings/transaction_statuses.csv).';
COMMENT ON COLUMN raw.payment_transactions.type IS 'payload.type: SALE or REFUND; gives the sign of the amount (refunds negative from the canonical layer on).';
COMMENT ON COLUMN raw.payment_transactions.channel IS 'payload.channel: CP (card present, at a POS register) or CNP (phone or web payment of a D365 sales order).';
COMMENT ON COLUMN raw.payment_transactions.merchant_id IS 'payload.merchant_id: the store''s Heartland merchant id (MER_…), mapped to a store by mappings/stores.csv.';
COMMENT ON COLUMN raw.payment_transactions.merchant_name IS 'payload.merchant_name: the store name as Heartland holds it.';
COMMENT ON COLUMN raw.payment_transactions.account_id IS 'payload.account_id: the Heartland transaction-processing account (TRA_…).';
COMMENT ON COLUMN raw.payment_transactions.site_reference IS 'payload.site_reference: the store id (S001).';
COMMENT ON COLUMN raw.payment_transactions.gratuity_amount IS 'payload.gratuity_amount: the tip part of amount, integer minor units, unsigned; 0 when none.';
COMMENT ON COLUMN raw.payment_transactions.currency IS 'payload.currency: ISO 4217 code of amount (USD, CAD).';
COMMENT ON COLUMN raw.payment_transactions.reference IS 'payload.reference: merchant reference, the POS tender id (TKT-S001-20261120-000123-T1) or, for a phone or web payment, the D365 sales order number it pays (SO-000026).';
COMMENT ON COLUMN raw.payment_transactions.description IS 'payload.description: free text, mostly empty (scanned for card numbers before loading).';
COMMENT ON COLUMN raw.payment_transactions.batch_id IS 'payload.batch_id: settlement batch (BAT_…) of a captured sale or refund; NULL otherwise.';
COMMENT ON COLUMN raw.payment_transactions.parent_resource_id IS 'payload.parent_resource_id: for a REFUND the sale refunded (TRN_…); otherwise the transaction''s own id; NULL when empty.';
COMMENT ON COLUMN raw.payment_transactions.result_code IS 'payload.payment_method.result: issuer response, 00 approved, 101/102/103/111 declined.';
COMMENT ON COLUMN raw.payment_transactions.result_message IS 'payload.payment_method.message: SUCCESS or DECLINED.';
COMMENT ON COLUMN raw.payment_transactions.entry_mode IS 'payload.payment_method.entry_mode: how the card was read, CHIP, CONTACTLESS_CHIP, SWIPE or MANUAL.';
COMMENT ON COLUMN raw.payment_transactions.payment_token IS 'payload.payment_method.id: the gateway''s card token (PMT_…), never a card number.';
COMMENT ON COLUMN raw.payment_transactions.card_brand IS 'payload.payment_method.card.brand, else the report row''s top-level brand: VISA, MASTERCARD, AMEX or DISCOVER (mapped to a D365 payment method by mappings/payment_methods.csv).';
COMMENT ON COLUMN raw.payment_transactions.masked_number_first6last4 IS 'First six and last four digits, the rest X (411111XXXXXX1111): payload.payment_method.card.masked_number_first6last4 (upper-cased), else put together from number_first6 / card.bin and the last four of masked_number_last4 / number_last4, X for a half not given; a full card number anywhere in the line quarantines it instead.';
COMMENT ON COLUMN raw.payment_transactions.authcode IS 'payload.payment_method.card.authcode: issuer authorisation code; NULL when declined.';
COMMENT ON COLUMN raw.payment_transactions.brand_reference IS 'payload.payment_method.card.brand_reference: the card scheme''s reference for the transaction, as Heartland reports it.';
COMMENT ON COLUMN raw.payment_transactions.funding IS 'payload.payment_method.card.funding: CREDIT or DEBIT card.';
COMMENT ON COLUMN raw.payment_transactions.action_id IS 'The GP-API action (ACT_…) that produced this state: payload.action.id, or payload.action_create_id (the action that created the transaction) when the row has no action or its action is the report read itself (…_SINGLE, …_LIST). Lineage only; event_id is not derived from it.';
COMMENT ON COLUMN raw.payment_transactions.action_type IS 'payload.action.type: AUTHORIZE, REFUND or REVERSAL.';
COMMENT ON COLUMN raw.payment_transactions.action_result_code IS 'payload.action.result_code: SUCCESS or DECLINED.';
