-- customer_match_input: the records the model scores, numbered for splink (unique_id). Card
-- records are left to the payment_card rule: a masked embossed name and a BIN tell the model
-- nothing it could weigh.
CREATE OR REPLACE TEMP TABLE customer_match_input AS
SELECT
    row_number() OVER (ORDER BY record_key) AS unique_id,
    record_key,
    source,
    given_name_key,
    last_name_key,
    email_mailbox,
    phone_e164,
    address_key,
    postcode,
    city_key
FROM canonical.customer_records
WHERE source <> 'payments';
