-- Heartland Retail customers as landed, with their addresses. Personal data, kept in raw for the
-- customer MDM; never quoted in quarantine reasons, logs or metadata.
CREATE TABLE IF NOT EXISTS raw.retail_customers (
    business_date   DATE NOT NULL,
    segment_path    VARCHAR NOT NULL,
    line_number     BIGINT NOT NULL,
    event_id        VARCHAR NOT NULL,
    event_type      VARCHAR,
    received_at     TIMESTAMPTZ NOT NULL,
    customer_id     VARCHAR NOT NULL,
    public_id       VARCHAR,
    first_name      VARCHAR,
    last_name       VARCHAR,
    email           VARCHAR,
    active          BOOLEAN,
    addresses       STRUCT(id VARCHAR, customer_id VARCHAR, first_name VARCHAR, last_name VARCHAR,
                           address_1 VARCHAR, address_2 VARCHAR, city VARCHAR, state VARCHAR,
                           zip VARCHAR, country VARCHAR, phone VARCHAR)[] NOT NULL,
    created_at      TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE raw.retail_customers IS 'Heartland Retail customers as landed (personal data: names, email, addresses, phones), one row per event id (HR_customers_<id>_<updated_at>). Scanned for card numbers like every line; a hit quarantines the line masked.';
COMMENT ON COLUMN raw.retail_customers.business_date IS 'Merchant date of the pull the snapshot landed under.';
COMMENT ON COLUMN raw.retail_customers.segment_path IS 'Landing segment the event was read from.';
COMMENT ON COLUMN raw.retail_customers.line_number IS 'Line of the event in its segment, from 1.';
COMMENT ON COLUMN raw.retail_customers.event_id IS 'HR_customers_<id>_<updated_at digits>.';
COMMENT ON COLUMN raw.retail_customers.event_type IS 'heartland_retail.customer.';
COMMENT ON COLUMN raw.retail_customers.received_at IS 'When the pull landed the event (UTC).';
COMMENT ON COLUMN raw.retail_customers.customer_id IS 'payload.id: Retail customer id, as text.';
COMMENT ON COLUMN raw.retail_customers.public_id IS 'payload.public_id: Customer #; the walk-in customer is CASH.';
COMMENT ON COLUMN raw.retail_customers.first_name IS 'payload.first_name (personal data).';
COMMENT ON COLUMN raw.retail_customers.last_name IS 'payload.last_name (personal data).';
COMMENT ON COLUMN raw.retail_customers.email IS 'payload.email (personal data).';
COMMENT ON COLUMN raw.retail_customers.active IS 'payload.active.';
COMMENT ON COLUMN raw.retail_customers.addresses IS 'payload.addresses (assumed _include[]=addresses): id, customer_id, first_name, last_name, address_1, address_2, city, state, zip, country, phone (personal data).';
COMMENT ON COLUMN raw.retail_customers.created_at IS 'payload.created_at.';
COMMENT ON COLUMN raw.retail_customers.updated_at IS 'payload.updated_at: version of the customer.';
