-- customer_source_records, begun with D365 CustomersV3 (raw.d365_customers, every legal entity).
-- The record's key and its own account are dataAreaId/CustomerAccount. CustomersV3 keeps no
-- modification time: pulled_at stands in. A Person party's name comes in parts; an
-- Organization's name (and a person's when the parts are empty) is OrganizationName, split at
-- its first space. D365 sends an empty string for an empty field.
CREATE OR REPLACE TEMP TABLE customer_source_records AS
SELECT
    'd365' AS source,
    dataAreaId || '/' || CustomerAccount AS source_key,
    NULL::VARCHAR AS public_id,
    nullif(trim(PersonFirstName), '') AS first_name,
    nullif(trim(PersonLastName), '') AS last_name,
    OrganizationName AS full_name,
    nullif(PrimaryContactEmail, '') AS email,
    nullif(PrimaryContactPhone, '') AS phone,
    nullif(AddressStreet, '') AS address_1,
    NULL::VARCHAR AS address_2,
    nullif(AddressCity, '') AS city,
    nullif(AddressState, '') AS state,
    nullif(AddressZipCode, '') AS zip,
    nullif(AddressCountryRegionId, '') AS country,
    dataAreaId || '/' || CustomerAccount AS d365_account,
    NULL::VARCHAR AS payment_token,
    NULL::VARCHAR AS card_first6,
    NULL::VARCHAR AS card_last4,
    NULL::VARCHAR AS seen_with_source_key,
    pulled_at AS updated_at
FROM raw.d365_customers;
