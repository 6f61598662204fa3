-- Staging (connection-local) for business days $first..$last: the latest version of each POS
-- ticket, mapped (store, legal entity, currency, rate, status) and with its issues, read once
-- for the three tables built from it: insert_pos_sales.sql, insert_pos_sale_lines.sql and
-- insert_pos_tenders.sql.
CREATE OR REPLACE TEMP TABLE latest_pos_tickets AS
WITH window_tickets AS (
    SELECT * FROM raw.pos_tickets WHERE business_date BETWEEN $first AND $last
),
-- A ticket normally arrives once; only re-sent tickets need ordering.
resent AS (
    SELECT business_date, ticket_id FROM window_tickets GROUP BY ALL HAVING count(*) > 1
),
superseded AS (
    SELECT segment_path, line_number
    FROM window_tickets
    SEMI JOIN resent USING (business_date, ticket_id)
    QUALIFY row_number() OVER (
        PARTITION BY business_date, ticket_id
        ORDER BY received_at DESC, segment_path DESC, line_number DESC
    ) > 1
),
latest AS (
    SELECT * FROM window_tickets ANTI JOIN superseded USING (segment_path, line_number)
),
-- Store, currency and rate facts per store, currency and day, computed once per day.
store_days AS (
    SELECT
        d.business_date, d.store_id, d.currency,
        s.legal_entity, s.timezone, le.base_currency, c.minor_unit_exponent AS e,
        business_day_ends_at(s.timezone, d.business_date) AS day_ends_at
    FROM (SELECT DISTINCT business_date, store_id, currency FROM latest) AS d
    LEFT JOIN ref.stores AS s ON s.store_id = d.store_id
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
        sd.legal_entity, sd.timezone, sd.base_currency, sd.e, sd.fx_rate, sd.day_ends_at,
        timezone(sd.timezone, t.closed_at) AS local_closed_at,
        st.status_code, st.is_financial,
        CASE WHEN t.ticket_type = 'RETURN' THEN -1 ELSE 1 END AS sign
    FROM latest AS t
    LEFT JOIN store_day_rates AS sd USING (business_date, store_id, currency)
    LEFT JOIN ref.transaction_statuses AS st
        ON st.source_field = 'pos_ticket_status' AND st.source_value = upper(t.status)
)
SELECT
    m.* EXCLUDE (day_ends_at),
    coalesce(m.received_at > m.day_ends_at, false) AS is_late,
    nullif(concat_ws('; ',
        CASE WHEN m.legal_entity IS NULL THEN 'unknown_store: store_id "' || m.store_id || '" is not in mappings/stores.csv' END,
        CASE WHEN m.status_code IS NULL THEN 'unmapped_status: ticket status "' || m.status || '" is not in mappings/transaction_statuses.csv' END,
        CASE WHEN m.e IS NULL OR m.e > 2
             THEN 'unsupported_currency: "' || m.currency || '" is not in mappings/currencies.csv with an exponent of 0-2' END,
        CASE WHEN m.legal_entity IS NOT NULL AND m.fx_rate IS NULL
             THEN 'missing_fx_rate: no ' || m.currency || '->' || coalesce(m.base_currency, '?') || ' rate on or before ' || m.business_date END,
        CASE WHEN m.legal_entity IS NOT NULL AND CAST(m.local_closed_at AS DATE) <> m.business_date
             THEN 'wrong_business_day: local date ' || CAST(m.local_closed_at AS DATE) || ' landed under ' || m.business_date END
    ), '') AS ticket_issue
FROM mapped AS m;
