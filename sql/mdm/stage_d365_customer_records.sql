-- customer_source_records, begun with D365 CustomersV3 (raw.d365_customers, every legal entity).
-- The record's key and its own account are dataAreaId/CustomerAccount. CustomersV3 keeps no
-- modification time: pulled_at stands in. Street, ZIP and phone are not pulled yet (the pull's
-- $select would add AddressStreet, AddressZipCode, PrimaryContactPhone, PersonFirstName,
-- PersonLastName); until then D365 records match on name, e-mail, city and state.
CREATE OR REPLACE TEMP TABLE customer_source_records AS
SELECT
    'd365' AS source,
    dataAreaId || '/' || CustomerAccount AS source_key,
    NULL::VARCHAR AS public_id,
    NULL::VARCHAR AS first_name,
    NULL::VARCHAR AS last_name,
    OrganizationName AS full_name,
    PrimaryContactEmail AS email,
    NULL::VARCHAR AS phone,
    NULL::VARCHAR AS address_1,
    NULL::VARCHAR AS address_2,
    AddressCity AS city,
    AddressState AS state,
    NULL::VARCHAR AS zip,
    AddressCountryRegionId AS country,
    dataAreaId || '/' || CustomerAccount AS d365_account,
    NULL::VARCHAR AS payment_token,
    NULL::VARCHAR AS card_first6,
    NULL::VARCHAR AS card_last4,
    NULL::VARCHAR AS seen_with_source_key,
    pulled_at AS updated_at
FROM raw.d365_customers;
