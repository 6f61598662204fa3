-- The day's injected defects in ground-truth order: by kind (in the order of $kinds,
-- sandbox.defects.DEFECT_KINDS), then as they were picked.
--
-- A gateway defect is named as it lands (source heartland). A ticket defect is named as the
-- Heartland Retail pull lands it (source heartland_retail, entity tickets): the event id
-- HR_tickets_<id>_<updated_at digits> of the ticket's latest version in the Retail store
-- (create_retail_tickets.sql), the key its Retail id, or for a payment defect the tender id the
-- canonical layer gives that payment (<ticket id>-P<payment id>; the first payment is id x 10 + 1).
-- A ticket hit by malformed_json or late_event is left out: an API serves whole tickets whenever
-- asked, so neither reaches the Retail output (defects.py).
WITH ticket_defects AS (
    SELECT store_idx, slot, ordinal FROM defects WHERE entity = 'tickets'
),

latest_versions AS (
    SELECT
        r.store_idx,
        r.slot,
        r.ordinal,
        arg_max(regexp_extract(r.line, '"updated_at":"([^"]*)"', 1), r.version) AS updated_at
    FROM retail_tickets_documents AS r
    SEMI JOIN ticket_defects AS d USING (store_idx, slot, ordinal)
    GROUP BY ALL
),

named AS (
    SELECT
        d.*,
        retail_ticket_id(b.base, d.group_seq) AS retail_id,
        v.updated_at
    FROM defects AS d
    LEFT JOIN retail_ticket_bases AS b USING (store_idx)
    LEFT JOIN latest_versions AS v USING (store_idx, slot, ordinal)
    WHERE NOT (d.entity = 'tickets' AND d.kind IN ('malformed_json', 'late_event'))
)

SELECT
    d.kind,
    CASE WHEN d.entity = 'tickets' THEN 'heartland_retail' ELSE 'heartland' END AS source,
    d.entity,
    CASE
        WHEN d.entity = 'tickets'
            THEN 'HR_tickets_' || d.retail_id || '_' || regexp_replace(d.updated_at, '\D', '', 'g')
        ELSE d.event_id
    END AS event_id,
    CASE
        WHEN d.entity = 'tickets' AND d.kind IN ('tender_without_gateway_transaction', 'unknown_payment_type')
            THEN d.retail_id || '-P' || (10 * d.retail_id + 1)
        WHEN d.entity = 'tickets' THEN d.retail_id::VARCHAR
        ELSE d.business_key
    END AS key,
    CASE
        WHEN d.entity = 'tickets' AND d.kind = 'duplicate_delivery'
            THEN 'edited after upload: a second version with another note, updated_at ' || d.updated_at
        ELSE d.detail
    END AS detail
FROM named AS d
ORDER BY list_position($kinds::VARCHAR[], d.kind), d.pick, d.entity, d.store_idx, d.slot, d.ordinal
