-- fee_above_contract: the batch charges its largest card brand (by sales) 25-75 basis points
-- more than the brand's contracted rate (card_brands.py), rounded half up on the brand's sales.
-- The batch's fee total and its deposit carry the overcharge, so the batch still adds up:
-- only the fee against the contract shows it. Batches that land malformed, late or twice are
-- left alone.
CREATE OR REPLACE TEMP TABLE risk_overcharged AS
WITH brands AS (
    SELECT b.store_idx, unnest(b.brand_breakdown) AS x
    FROM settlement_batches AS b
    WHERE b.delivery_defect IS NULL
        AND risk_instance(b.store_idx, 'fee_above_contract', getvariable('risk_fee_above_contract'))
        AND NOT EXISTS (
            SELECT 1 FROM defects AS d WHERE d.entity = 'settlement_batches' AND d.store_idx = b.store_idx
        )
)

SELECT
    store_idx,
    arg_max(x.brand, (x.sales_amount, x.brand)) AS brand,
    (max(x.sales_amount) * (25 + risk_draw(store_idx, 'fee_above_contract', 'bp', 51)) + 5000) // 10000
        AS overcharge
FROM brands
WHERE x.sales_amount > 0
GROUP BY store_idx;

UPDATE settlement_batches AS b
SET
    brand_breakdown = list_transform(b.brand_breakdown, lambda x: struct_pack(
        brand := x.brand,
        count := x.count,
        amount := x.amount,
        sales_count := x.sales_count,
        sales_amount := x.sales_amount,
        refunds_count := x.refunds_count,
        refunds_amount := x.refunds_amount,
        fees_amount := x.fees_amount + CASE WHEN x.brand = o.brand THEN o.overcharge ELSE 0 END
    )),
    fees_amount = b.fees_amount + o.overcharge,
    deposit_amount = b.deposit_amount - o.overcharge
FROM risk_overcharged AS o
WHERE b.store_idx = o.store_idx;

INSERT INTO risk_truth BY NAME
SELECT
    'fee_above_contract' AS pattern,
    risk_instance_id('fee_above_contract', st.store_id) AS instance_id,
    'batch' AS record_kind,
    o.store_idx,
    o.brand
FROM risk_overcharged AS o
JOIN stores AS st USING (store_idx);

DROP TABLE risk_overcharged;
