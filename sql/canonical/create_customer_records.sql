-- One row per customer record of every source (Heartland Retail customers, D365 CustomersV3,
-- cards seen with a customer on the payment side), standardised so the same person's records
-- compare equal (sql/macros/customer_standards.sql). Not per business day: rebuilt whole by the
-- mdm/customers asset. The walk-in customer and cards of anonymous tickets are not here.
CREATE TABLE IF NOT EXISTS canonical.customer_records (
    record_key              VARCHAR NOT NULL PRIMARY KEY,
    source                  VARCHAR NOT NULL,
    source_key              VARCHAR NOT NULL,
    public_id               VARCHAR,
    first_name              VARCHAR,
    last_name               VARCHAR,
    first_name_key          VARCHAR,
    given_name_key          VARCHAR,
    last_name_key           VARCHAR,
    first_initial           VARCHAR,
    email                   VARCHAR,
    email_mailbox           VARCHAR,
    phone_e164              VARCHAR,
    address_1               VARCHAR,
    address_2               VARCHAR,
    address_key             VARCHAR,
    city                    VARCHAR,
    city_key                VARCHAR,
    state                   VARCHAR,
    postcode                VARCHAR,
    country_code            VARCHAR,
    d365_account            VARCHAR,
    payment_token           VARCHAR,
    card_first6             VARCHAR,
    card_last4              VARCHAR,
    seen_with_record_key    VARCHAR,
    source_updated_at       TIMESTAMPTZ,
    standardised_at         TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE canonical.customer_records IS 'Every customer record of Heartland Retail, D365 and the payment side, standardised for matching (names case-folded with nicknames resolved, e-mails by provider rules, phones in E.164, streets abbreviated). Rebuilt whole by mdm/customers; the walk-in customer (CASH) and anonymous tickets are left out.';
COMMENT ON COLUMN canonical.customer_records.record_key IS 'source:source_key, the key mdm.customer_xref and mdm.match_reviews use.';
COMMENT ON COLUMN canonical.customer_records.source IS 'heartland_retail, d365 or payments.';
COMMENT ON COLUMN canonical.customer_records.source_key IS 'The record''s key in its source: Retail customer id, D365 dataAreaId/CustomerAccount, or the payment token.';
COMMENT ON COLUMN canonical.customer_records.public_id IS 'Heartland Retail Customer # (C1234); NULL for other sources.';
COMMENT ON COLUMN canonical.customer_records.first_name IS 'First name as the source wrote it (D365 and card names split at the first space or slash).';
COMMENT ON COLUMN canonical.customer_records.last_name IS 'Last name as the source wrote it.';
COMMENT ON COLUMN canonical.customer_records.first_name_key IS 'First name case-folded, accents and non-letters dropped.';
COMMENT ON COLUMN canonical.customer_records.given_name_key IS 'first_name_key with a nickname resolved to its given name (bob: robert) by mappings/customer_nicknames.csv.';
COMMENT ON COLUMN canonical.customer_records.last_name_key IS 'Last name case-folded, accents and non-letters dropped (obrien).';
COMMENT ON COLUMN canonical.customer_records.first_initial IS 'First letter of first_name_key: all a masked card name tells.';
COMMENT ON COLUMN canonical.customer_records.email IS 'E-mail trimmed and lower-cased; NULL when not a single address.';
COMMENT ON COLUMN canonical.customer_records.email_mailbox IS 'The mailbox the e-mail delivers to by its provider''s rules (Gmail: dots and +tags dropped; Outlook, iCloud: +tags dropped).';
COMMENT ON COLUMN canonical.customer_records.phone_e164 IS 'Phone in E.164 (+14165550123); NULL when it cannot be read as one number.';
COMMENT ON COLUMN canonical.customer_records.address_1 IS 'Street line as written.';
COMMENT ON COLUMN canonical.customer_records.address_2 IS 'Second address line as written.';
COMMENT ON COLUMN canonical.customer_records.address_key IS 'Street lines lower case, punctuation dropped, words abbreviated (12 king st w).';
COMMENT ON COLUMN canonical.customer_records.city IS 'City as written.';
COMMENT ON COLUMN canonical.customer_records.city_key IS 'City case-folded, letters only.';
COMMENT ON COLUMN canonical.customer_records.state IS 'State or province, upper case.';
COMMENT ON COLUMN canonical.customer_records.postcode IS 'Postal code as a key: US ZIP to five digits, others upper case without spaces.';
COMMENT ON COLUMN canonical.customer_records.country_code IS 'ISO 3166 alpha-2 (D365''s alpha-3 converted).';
COMMENT ON COLUMN canonical.customer_records.d365_account IS 'D365 dataAreaId/CustomerAccount: a D365 record''s own, or the one a Retail record carries in a custom field.';
COMMENT ON COLUMN canonical.customer_records.payment_token IS 'Gateway token of a card (payments records only); never a card number.';
COMMENT ON COLUMN canonical.customer_records.card_first6 IS 'First six digits of that card (BIN).';
COMMENT ON COLUMN canonical.customer_records.card_last4 IS 'Last four digits of that card.';
COMMENT ON COLUMN canonical.customer_records.seen_with_record_key IS 'Payments: the record_key of the Retail customer the card paid a ticket for.';
COMMENT ON COLUMN canonical.customer_records.source_updated_at IS 'When the source last changed the record (for D365, which keeps no such time: when it was pulled).';
COMMENT ON COLUMN canonical.customer_records.standardised_at IS 'When this build ran (UTC).';
