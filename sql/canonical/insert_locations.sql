-- Build canonical.locations for each business day of $first..$last: every location landed up to
-- the day in its latest version, mapped to its store's legal entity (mappings/stores.csv), or
-- flagged unknown_location.
INSERT INTO canonical.locations BY NAME
WITH days AS (
    SELECT CAST(unnest(generate_series(CAST($first AS DATE), CAST($last AS DATE), INTERVAL 1 DAY)) AS DATE) AS business_date
),
latest AS (
    SELECT d.business_date, l.location_id,
           arg_max(l, (l.business_date, coalesce(l.updated_at, l.received_at), l.received_at)) AS v
    FROM days AS d JOIN raw.retail_locations AS l ON l.business_date <= d.business_date
    GROUP BY ALL
),
stores AS (
    SELECT store_id, arg_max(legal_entity, valid_from) AS legal_entity, arg_max(currency, valid_from) AS currency
    FROM ref.stores GROUP BY store_id
)
SELECT
    l.business_date, l.location_id, l.v.public_id AS store_id, l.v.name, l.v.active, l.v.stations,
    s.legal_entity, s.currency,
    CASE WHEN s.store_id IS NULL
         THEN 'unknown_location: Retail location ' || l.location_id || ' is store "' || l.v.public_id || '", which is not in mappings/stores.csv' END
        AS mapping_issue,
    l.v.event_id AS source_event_id
FROM latest AS l
LEFT JOIN stores AS s ON s.store_id = l.v.public_id;
