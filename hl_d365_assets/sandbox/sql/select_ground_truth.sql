-- The day's injected defects in ground-truth order: by kind (in the order of $kinds,
-- sandbox.defects.DEFECT_KINDS), then as they were picked. retail_key is what the Heartland
-- Retail output calls the record: a ticket's Retail id (create_retail_tickets.sql), else the key.
SELECT
    d.kind,
    d.entity,
    d.event_id,
    d.business_key,
    d.detail,
    CASE
        WHEN d.entity = 'pos_tickets' THEN retail_ticket_id(b.base, d.group_seq)::VARCHAR
        ELSE d.business_key
    END AS retail_key
FROM defects AS d
LEFT JOIN retail_ticket_bases AS b USING (store_idx)
ORDER BY list_position($kinds::VARCHAR[], d.kind), d.pick, d.entity, d.store_idx, d.slot, d.ordinal
