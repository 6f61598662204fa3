-- Staging (connection-local) for business days $first..$last: the latest version of each Heartland
-- Retail ticket (latest updated_at; the earlier ones counted as superseded_versions), mapped to
-- its store (location public_id = store_id), register (station name), currency, legal entity,
-- rate and status, with its issues, read once by insert_pos_sales.sql,
-- insert_pos_sale_lines.sql and insert_pos_tenders.sql.
-- Retail returns carry no reference to the ticket they return (docs/heartland_retail.md): a return
-- loads as a RETURN (total below zero) with original_ticket_id NULL.
CREATE OR REPLACE TEMP TABLE latest_retail_tickets AS
WITH window_tickets AS (
    SELECT * FROM raw.retail_tickets WHERE business_date BETWEEN $first AND $last
),
-- Each ticket's latest version is found on its key and lineage alone, then joined back: sorting
-- the day's whole rows (lines and payments included) by ticket is what this would cost otherwise.
versions AS (
    SELECT
        business_date, ticket_id,
        arg_max({'segment_path': segment_path, 'line_number': line_number},
                (updated_at, received_at, segment_path, line_number)) AS kept,
        count(*) - 1 AS superseded_versions
    FROM window_tickets
    GROUP BY business_date, ticket_id
),
latest AS (
    SELECT t.*, v.superseded_versions
    FROM window_tickets AS t
    JOIN versions AS v
        ON v.business_date = t.business_date AND v.kept.segment_path = t.segment_path
       AND v.kept.line_number = t.line_number
),
-- The location as last landed on or before the window's end.
locations AS (
    SELECT location_id, arg_max(public_id, updated_at_key) AS public_id,
           arg_max(stations, updated_at_key) AS stations
    FROM (
        SELECT *, (business_date, coalesce(updated_at, received_at), received_at) AS updated_at_key
        FROM raw.retail_locations WHERE business_date <= $last
    )
    GROUP BY location_id
),
stores AS (
    SELECT store_id, arg_max(legal_entity, valid_from) AS legal_entity,
           arg_max(currency, valid_from) AS currency, arg_max(timezone, valid_from) AS timezone,
           arg_max(tax_code, valid_from) AS tax_code
    FROM ref.stores GROUP BY store_id
),
located AS (
    SELECT
        t.*,
        loc.public_id AS location_public_id,
        coalesce(loc.public_id, 'location:' || t.source_location_id) AS store_id,
        list_extract(list_filter(loc.stations, lambda s: s.id = t.station_id), 1).name AS register_id,
        s.legal_entity, s.timezone, s.tax_code,
        coalesce(s.currency, 'XXX') AS currency,
        coalesce(t.completed_at, t.created_at) AS closed_at
    FROM latest AS t
    LEFT JOIN locations AS loc ON loc.location_id = t.source_location_id
    LEFT JOIN stores AS s ON s.store_id = loc.public_id
),
store_days AS (
    SELECT
        d.business_date, d.store_id, d.currency, le.base_currency, c.minor_unit_exponent AS e,
        business_day_ends_at(d.timezone, d.business_date) AS day_ends_at
    FROM (SELECT DISTINCT business_date, store_id, currency, timezone FROM located) AS d
    LEFT JOIN (SELECT store_id, arg_max(legal_entity, valid_from) AS legal_entity FROM ref.stores GROUP BY ALL) AS s
        USING (store_id)
    LEFT JOIN ref.legal_entities AS le ON le.legal_entity = s.legal_entity
    LEFT JOIN ref.currencies AS c ON c.currency = d.currency
),
store_day_rates AS (
    SELECT sd.*, fx.rate AS fx_rate
    FROM store_days AS sd
    ASOF LEFT JOIN ref.fx_rates AS fx
        ON fx.from_currency = sd.currency AND fx.to_currency = sd.base_currency
       AND sd.business_date >= fx.rate_date
),
mapped AS (
    SELECT
        t.*,
        sd.base_currency, sd.e, sd.fx_rate, sd.day_ends_at,
        timezone(t.timezone, t.closed_at) AS local_closed_at,
        st.status_code, st.is_financial,
        CASE WHEN t.total < 0 THEN 'RETURN' ELSE 'SALE' END AS ticket_type
    FROM located AS t
    LEFT JOIN store_day_rates AS sd USING (business_date, store_id, currency)
    LEFT JOIN ref.transaction_statuses AS st
        ON st.source_field = 'retail_ticket_status' AND st.source_value = upper(t.status)
)
SELECT
    m.* EXCLUDE (day_ends_at),
    coalesce(m.received_at > m.day_ends_at, false) AS is_late,
    nullif(concat_ws('; ',
        CASE WHEN m.location_public_id IS NULL
             THEN 'unknown_location: Retail location ' || m.source_location_id || ' is not in raw.retail_locations' END,
        CASE WHEN m.location_public_id IS NOT NULL AND m.legal_entity IS NULL
             THEN 'unknown_store: store_id "' || m.store_id || '" is not in mappings/stores.csv' END,
        CASE WHEN m.status_code IS NULL
             THEN 'unmapped_status: ticket status "' || m.status || '" is not in mappings/transaction_statuses.csv (retail_ticket_status)' END,
        CASE WHEN m.legal_entity IS NOT NULL AND (m.e IS NULL OR m.e <> 2)
             THEN 'unsupported_currency: "' || m.currency || '" has no exponent of 2 in mappings/currencies.csv' END,
        CASE WHEN m.legal_entity IS NOT NULL AND m.fx_rate IS NULL
             THEN 'missing_fx_rate: no ' || m.currency || '->' || coalesce(m.base_currency, '?') || ' rate on or before ' || m.business_date END,
        CASE WHEN m.legal_entity IS NOT NULL AND CAST(m.local_closed_at AS DATE) <> m.business_date
             THEN 'wrong_business_day: local date ' || CAST(m.local_closed_at AS DATE) || ' landed under ' || m.business_date END,
        CASE WHEN list_sum(list_transform(m.lines, lambda l: l.value)) + m.tax_total <> m.total
             THEN 'ticket_total_mismatch: the lines'' values and tax_total do not add up to total' END,
        CASE WHEN m.tax_total <> 0 AND NOT list_bool_or(list_transform(m.lines, lambda l: l.type = 'ItemLine'))
             THEN 'unallocated_tax: tax_total on a ticket without item lines' END
    ), '') AS ticket_issue
FROM mapped AS m;
