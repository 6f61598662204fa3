-- Heartland Retail payment types (Cash, Visa, Gift Card, ...), as landed.
CREATE TABLE IF NOT EXISTS raw.retail_payment_types (
    business_date   DATE NOT NULL,
    segment_path    VARCHAR NOT NULL,
    line_number     BIGINT NOT NULL,
    event_id        VARCHAR NOT NULL,
    event_type      VARCHAR,
    received_at     TIMESTAMPTZ NOT NULL,
    payment_type_id VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    active          BOOLEAN,
    updated_at      TIMESTAMPTZ
);
COMMENT ON TABLE raw.retail_payment_types IS 'Heartland Retail payment types as landed, one row per event id; name maps to a tender type and card brand through mappings/retail_payment_types.csv.';
COMMENT ON COLUMN raw.retail_payment_types.business_date IS 'Merchant date of the pull the snapshot landed under.';
COMMENT ON COLUMN raw.retail_payment_types.segment_path IS 'Landing segment the event was read from.';
COMMENT ON COLUMN raw.retail_payment_types.line_number IS 'Line of the event in its segment, from 1.';
COMMENT ON COLUMN raw.retail_payment_types.event_id IS 'HR_payment_types_<id>_<updated_at digits>.';
COMMENT ON COLUMN raw.retail_payment_types.event_type IS 'heartland_retail.payment_type.';
COMMENT ON COLUMN raw.retail_payment_types.received_at IS 'When the pull landed the event (UTC).';
COMMENT ON COLUMN raw.retail_payment_types.payment_type_id IS 'payload.id: as text (ticket payments'' payment_type_id).';
COMMENT ON COLUMN raw.retail_payment_types.name IS 'payload.name: Cash, Visa, Gift Card, ... (mappings/retail_payment_types.csv).';
COMMENT ON COLUMN raw.retail_payment_types.active IS 'payload.active.';
COMMENT ON COLUMN raw.retail_payment_types.updated_at IS 'payload.updated_at: version of the payment type.';
