-- customer_sync_golden_values / customer_sync_record_values: per attribute the golden customer's
-- surviving value and each of its D365 and Retail records' own, as one text each (parts
-- |-joined), so "what differs" and "what changed since the last sync" are plain comparisons.
-- The attributes the sync keeps equal: name, email, phone, address (street, city, state, ZIP).
CREATE OR REPLACE MACRO customer_sync_attributes(first_name, last_name, email, phone_e164, address_1, city, state, postcode) AS [
    {'attribute': 'name', 'value': CASE WHEN last_name IS NOT NULL THEN coalesce(first_name, '') || '|' || last_name END},
    {'attribute': 'email', 'value': email},
    {'attribute': 'phone', 'value': phone_e164},
    {'attribute': 'address', 'value': CASE WHEN address_1 IS NOT NULL THEN address_1 || '|' || coalesce(city, '') || '|' || coalesce(state, '') || '|' || coalesce(postcode, '') END}
];

CREATE OR REPLACE TEMP TABLE customer_sync_golden AS
SELECT * FROM mdm.customers WHERE status = 'active' AND last_name IS NOT NULL;

CREATE OR REPLACE TEMP TABLE customer_sync_golden_values AS
SELECT golden_id, v.attribute, v.value
FROM (
    SELECT golden_id, unnest(customer_sync_attributes(first_name, last_name, email, phone_e164, address_1, city, state, postcode)) AS v
    FROM customer_sync_golden
);

CREATE OR REPLACE TEMP TABLE customer_sync_record_values AS
SELECT golden_id, record_key, source, source_key, source_updated_at, v.attribute, v.value
FROM (
    SELECT x.golden_id, r.record_key, r.source, r.source_key, r.source_updated_at,
        unnest(customer_sync_attributes(r.first_name, r.last_name, r.email, r.phone_e164, r.address_1, r.city, r.state, r.postcode)) AS v
    FROM mdm.customer_xref AS x
    JOIN canonical.customer_records AS r USING (record_key)
    WHERE r.source IN ('d365', 'heartland_retail')
      AND x.golden_id IN (SELECT golden_id FROM customer_sync_golden)
);
