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
