-- Heartland Retail customers into customer_source_records: the latest version of each customer
-- landed (raw.retail_customers keeps one per day it was pulled), with its first address; the
-- phone is the address's. A D365 account the till recorded in custom.d365_account is not landed
-- by the raw layer yet (d365_account stays NULL until it is).
INSERT INTO customer_source_records BY NAME
WITH latest AS (
    SELECT * FROM raw.retail_customers
    QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY updated_at DESC, received_at DESC) = 1
)
SELECT
    'heartland_retail' AS source,
    customer_id AS source_key,
    public_id,
    first_name,
    last_name,
    NULL AS full_name,
    email,
    addresses[1].phone AS phone,
    addresses[1].address_1 AS address_1,
    addresses[1].address_2 AS address_2,
    addresses[1].city AS city,
    addresses[1].state AS state,
    addresses[1].zip AS zip,
    addresses[1].country AS country,
    updated_at
FROM latest
WHERE coalesce(active, TRUE);
