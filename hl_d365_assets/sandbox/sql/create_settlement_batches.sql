-- settlement_batches: one closed batch per store and day over its finally CAPTURED sales and
-- refunds (voided sales left the batch when they were voided).
--
-- Fees per brand follow card_brands (card_brands.py): the percentage of the brand's sales
-- amount rounded half up once per batch, plus a fixed fee per captured sale. The deposit is the
-- net amount less all fees.
CREATE OR REPLACE TABLE settlement_batches AS
WITH settled AS (
    SELECT
        store_idx,
        brand_index,
        CASE WHEN kind = 'refund' THEN 'REFUND' ELSE 'SALE' END AS type,
        amount,
        gratuity,
        created_ms
    FROM transaction_events
    WHERE event_no = 1 AND final_status = 'CAPTURED'
),

by_brand AS (
    SELECT
        s.store_idx,
        b.brand_index,
        b.brand,
        count(*) FILTER (WHERE s.type = 'SALE') AS sales_count,
        coalesce(sum(s.amount) FILTER (WHERE s.type = 'SALE'), 0)::BIGINT AS sales_amount,
        count(*) FILTER (WHERE s.type = 'REFUND') AS refunds_count,
        coalesce(sum(s.amount) FILTER (WHERE s.type = 'REFUND'), 0)::BIGINT AS refunds_amount,
        coalesce(sum(s.gratuity) FILTER (WHERE s.type = 'SALE'), 0)::BIGINT AS gratuity_amount,
        min(s.created_ms) AS first_created_ms,
        any_value(b.fee_rate_bp) AS fee_rate_bp,
        any_value(b.fee_per_sale) AS fee_per_sale
    FROM settled AS s
    JOIN card_brands AS b USING (brand_index)
    GROUP BY s.store_idx, b.brand_index, b.brand
),

with_fees AS (
    SELECT
        *,
        (sales_amount * fee_rate_bp + 5000) // 10000 + fee_per_sale * sales_count AS fees_amount
    FROM by_brand
),

per_store AS (
    SELECT
        st.store_idx,
        coalesce(sum(f.sales_count), 0)::BIGINT AS sales_count,
        coalesce(sum(f.sales_amount), 0)::BIGINT AS sales_amount,
        coalesce(sum(f.refunds_count), 0)::BIGINT AS refunds_count,
        coalesce(sum(f.refunds_amount), 0)::BIGINT AS refunds_amount,
        coalesce(sum(f.gratuity_amount), 0)::BIGINT AS gratuity_amount,
        coalesce(sum(f.fees_amount), 0)::BIGINT AS fees_amount,
        min(f.first_created_ms) AS first_created_ms,
        coalesce(
            list(
                struct_pack(
                    brand := f.brand,
                    count := (f.sales_count + f.refunds_count)::BIGINT,
                    amount := f.sales_amount - f.refunds_amount,
                    sales_count := f.sales_count::BIGINT,
                    sales_amount := f.sales_amount,
                    refunds_count := f.refunds_count::BIGINT,
                    refunds_amount := f.refunds_amount,
                    fees_amount := f.fees_amount
                )
                ORDER BY f.brand_index
            ) FILTER (WHERE f.brand IS NOT NULL),
            []
        ) AS brand_breakdown
    FROM stores AS st
    LEFT JOIN with_fees AS f USING (store_idx)
    GROUP BY st.store_idx
)

SELECT
    st.store_idx,
    coalesce(p.first_created_ms, st.midnight_ms - st.offset_ms + trading_opens_ms()) AS created_ms,
    -- batches close at 23:30 local, a few seconds apart per store
    st.midnight_ms - st.offset_ms + (23 * 60 + 30) * 60000 + st.store_idx * 7000 AS closed_ms,
    st.midnight_ms - st.offset_ms + (23 * 60 + 30) * 60000 + st.store_idx * 7000
        + 1000 + draw(st.store_idx, -1, 'batch_received', 4000) AS received_ms,
    p.sales_count,
    p.sales_amount,
    p.refunds_count,
    p.refunds_amount,
    p.sales_amount - p.refunds_amount AS amount,
    p.sales_count + p.refunds_count AS transaction_count,
    p.gratuity_amount,
    p.fees_amount,
    p.sales_amount - p.refunds_amount - p.fees_amount AS deposit_amount,
    p.brand_breakdown,
    NULL::VARCHAR AS delivery_defect
FROM stores AS st
JOIN per_store AS p USING (store_idx)
;
