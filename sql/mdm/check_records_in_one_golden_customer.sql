-- Golden-record invariant: every standardised source record sits in exactly one active golden
-- customer. Counts of each way it can fail (all 0 when it holds).
SELECT
    (SELECT count(*) FROM canonical.customer_records AS r
     WHERE NOT EXISTS (SELECT 1 FROM mdm.customer_xref AS x WHERE x.record_key = r.record_key))
        AS records_without_golden_customer,
    (SELECT count(*) FROM mdm.customer_xref AS x
     WHERE NOT EXISTS (SELECT 1 FROM canonical.customer_records AS r WHERE r.record_key = x.record_key))
        AS links_to_records_gone,
    (SELECT count(*) FROM mdm.customer_xref AS x
     LEFT JOIN mdm.customers AS g USING (golden_id)
     WHERE g.status IS DISTINCT FROM 'active') AS links_to_inactive_golden_customers,
    (SELECT count(*) - count(DISTINCT record_key) FROM mdm.customer_xref) AS records_linked_twice;
