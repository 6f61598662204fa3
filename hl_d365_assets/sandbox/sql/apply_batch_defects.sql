-- settlement_total_mismatch: the batch reports sales.amount and amount off by a delta of
-- 1..5000 minor units (downwards only when that keeps the figure positive). brand_breakdown and
-- the deposit keep the true figures.
UPDATE defects AS d
SET
    event_id = batch_event_id(st.batch_id),
    business_key = CASE d.kind WHEN 'deposit_difference' THEN st.deposit_id ELSE st.batch_id END
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

-- deposit_difference: the deposit paid out is short by 5.00-49.99 (the batch's totals stay true),
-- as when the processor withholds money it does not report as fees.
UPDATE defects AS d
SET detail = 'deposit ' || st.deposit_id || ' of batch ' || st.batch_id || ': amount ' || b.deposit_amount
    || ' -> ' || (b.deposit_amount - (500 + d.pick % 4500)::BIGINT) || ' minor units'
FROM settlement_batches AS b, stores AS st
WHERE d.kind = 'deposit_difference' AND b.store_idx = d.store_idx AND st.store_idx = d.store_idx;

UPDATE settlement_batches AS b
SET deposit_amount = b.deposit_amount - (500 + d.pick % 4500)::BIGINT
FROM defects AS d
WHERE d.kind = 'deposit_difference' AND b.store_idx = d.store_idx;
