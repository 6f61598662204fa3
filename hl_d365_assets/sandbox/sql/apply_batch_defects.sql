-- settlement_total_mismatch: the batch reports sales.amount and amount off by a delta of
-- 1..5000 minor units (downwards only when that keeps the figure positive). brand_breakdown and
-- the deposit keep the true figures.
UPDATE defects AS d
SET
    event_id = batch_event_id(st.batch_id),
    business_key = st.batch_id
FROM stores AS st
WHERE d.entity = 'settlement_batches' AND st.store_idx = d.store_idx;

UPDATE defects AS d
SET detail = 'delta=' || printf('%+d', mismatch_delta(d.pick, b.sales_amount))
    || ': sales.amount ' || b.sales_amount || ' -> ' || (b.sales_amount + mismatch_delta(d.pick, b.sales_amount))
    || ', amount ' || b.amount || ' -> ' || (b.amount + mismatch_delta(d.pick, b.sales_amount))
FROM settlement_batches AS b
WHERE d.kind = 'settlement_total_mismatch' AND b.store_idx = d.store_idx;

UPDATE settlement_batches AS b
SET
    sales_amount = b.sales_amount + mismatch_delta(d.pick, b.sales_amount),
    amount = b.amount + mismatch_delta(d.pick, b.sales_amount)
FROM defects AS d
WHERE d.kind = 'settlement_total_mismatch' AND b.store_idx = d.store_idx;
