-- The day's risk truth (risk_patterns.py): one row per injected record, its id as the canonical
-- layer carries it — transaction:<TRN id>, ticket:<Retail ticket id> (canonical.pos_sales
-- .ticket_id), batch:<batch id>/<brand> (canonical.settlement_fees). Run once the Retail
-- documents are rendered (retail_ticket_bases).
SELECT
    t.pattern,
    t.instance_id,
    CASE t.record_kind
        WHEN 'transaction' THEN 'transaction:' || trn_id(t.store_idx, t.slot)
        WHEN 'ticket' THEN 'ticket:' || retail_ticket_id(b.base, k.ticket_seq)::VARCHAR
        WHEN 'batch' THEN 'batch:' || st.batch_id || '/' || t.brand
    END AS record_id
FROM risk_truth AS t
JOIN stores AS st USING (store_idx)
LEFT JOIN tickets AS k ON t.record_kind = 'ticket' AND k.store_idx = t.store_idx AND k.slot = t.slot AND k.ordinal = 1
LEFT JOIN retail_ticket_bases AS b ON b.store_idx = t.store_idx
ORDER BY t.pattern, t.instance_id, record_id;
