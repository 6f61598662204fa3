-- Golden customers: one row per real person, with a golden_id that survives re-runs and merges.
-- A merge keeps the older id active and marks the other merged into it; a golden customer whose
-- records all left the sources is retired. Attributes come from the surviving record of each
-- rule in mappings/mdm_survivorship.csv.
CREATE TABLE IF NOT EXISTS mdm.customers (
    golden_id               VARCHAR NOT NULL PRIMARY KEY,
    status                  VARCHAR NOT NULL,
    merged_into             VARCHAR,
    merged_at               TIMESTAMPTZ,
    first_name              VARCHAR,
    last_name               VARCHAR,
    email                   VARCHAR,
    phone_e164              VARCHAR,
    address_1               VARCHAR,
    address_2               VARCHAR,
    city                    VARCHAR,
    state                   VARCHAR,
    postcode                VARCHAR,
    country_code            VARCHAR,
    record_count            BIGINT NOT NULL,
    retail_record_count     BIGINT NOT NULL,
    d365_record_count       BIGINT NOT NULL,
    payment_record_count    BIGINT NOT NULL,
    d365_accounts           VARCHAR[],
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE mdm.customers IS 'Golden customers: one row per real person across Heartland Retail, D365 and the payment side. golden_id is stable across runs; a merge keeps the older id and records the other as merged_into it.';
COMMENT ON COLUMN mdm.customers.golden_id IS 'Stable id of the golden customer (GC000000123).';
COMMENT ON COLUMN mdm.customers.status IS 'active, merged (see merged_into) or retired (no source record left).';
COMMENT ON COLUMN mdm.customers.merged_into IS 'The golden_id this one was merged into (the older one).';
COMMENT ON COLUMN mdm.customers.merged_at IS 'When the merge was found.';
COMMENT ON COLUMN mdm.customers.first_name IS 'Surviving first name (rule: name in mappings/mdm_survivorship.csv).';
COMMENT ON COLUMN mdm.customers.last_name IS 'Surviving last name (rule: name).';
COMMENT ON COLUMN mdm.customers.email IS 'Surviving e-mail (rule: email).';
COMMENT ON COLUMN mdm.customers.phone_e164 IS 'Surviving phone, E.164 (rule: phone).';
COMMENT ON COLUMN mdm.customers.address_1 IS 'Surviving street line (rule: address; address fields survive together).';
COMMENT ON COLUMN mdm.customers.address_2 IS 'Surviving second address line.';
COMMENT ON COLUMN mdm.customers.city IS 'Surviving city.';
COMMENT ON COLUMN mdm.customers.state IS 'Surviving state or province.';
COMMENT ON COLUMN mdm.customers.postcode IS 'Surviving postal code (as a key: ZIP5, or upper case without spaces).';
COMMENT ON COLUMN mdm.customers.country_code IS 'Surviving country, ISO alpha-2.';
COMMENT ON COLUMN mdm.customers.record_count IS 'Source records of this customer now (0 when merged or retired).';
COMMENT ON COLUMN mdm.customers.retail_record_count IS 'Heartland Retail records among them (0: the customer lacks a Retail record; the sync creates one).';
COMMENT ON COLUMN mdm.customers.d365_record_count IS 'D365 customer accounts among them (0: the customer lacks a D365 account; more than 1 needs a reviewer''s acceptance).';
COMMENT ON COLUMN mdm.customers.payment_record_count IS 'Cards (payment tokens) seen with this customer.';
COMMENT ON COLUMN mdm.customers.d365_accounts IS 'The D365 dataAreaId/CustomerAccount keys of this customer.';
COMMENT ON COLUMN mdm.customers.created_at IS 'When the golden customer was first created.';
COMMENT ON COLUMN mdm.customers.updated_at IS 'When a run last changed its records or attributes.';
