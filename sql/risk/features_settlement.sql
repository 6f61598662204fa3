-- Risk features of the settlement domain for business days $first..$last: each batch's fees per
-- card brand against the contracted price (mappings/card_fee_contracts.csv, the newest row on
-- or before the batch's day): a percentage of the brand's captured sales, rounded half up to the
-- cent once per batch and brand, plus a fixed fee per captured sale (refunds carry none). The
-- batch's brand row gives the sales amount, the fees charged and the transaction count (sales and
-- refunds); the captured sales are that count less the brand's refunds in canonical.payments, so a
-- refund missing there counts as a sale and lowers the contracted fee, never raises it: a late or
-- lost gateway record does not make an excess (docs/risk-features-payments.md).
INSERT INTO risk.features (business_date, domain, entity_kind, entity_id, store_id, legal_entity, feature, value, evidence, record_ids)
WITH brand_fees AS (
    SELECT f.*, b.legal_entity
    FROM canonical.settlement_fees AS f
    LEFT JOIN canonical.settlement_batches AS b USING (business_date, batch_id)
    WHERE f.business_date BETWEEN $first AND $last
      AND f.fees_amount IS NOT NULL
      AND f.sales_amount IS NOT NULL
),
refund_counts AS (
    SELECT batch_id, upper(card_brand) AS card_brand, count(*) AS refunds_count
    FROM canonical.payments
    WHERE business_date BETWEEN $first - 1 AND $last
      AND batch_id IS NOT NULL
      AND transaction_type = 'REFUND'
      AND is_financial
    GROUP BY ALL
),
contracted AS (
    SELECT
        f.*,
        greatest(coalesce(f.transaction_count, 0) - coalesce(r.refunds_count, 0), 0) AS sales_count,
        c.percentage_rate,
        c.fee_per_sale,
        round(f.sales_amount * c.percentage_rate, 2)
            + c.fee_per_sale * greatest(coalesce(f.transaction_count, 0) - coalesce(r.refunds_count, 0), 0)
            AS contracted_fees
    FROM brand_fees AS f
    LEFT JOIN refund_counts AS r ON r.batch_id = f.batch_id AND r.card_brand = upper(f.card_brand)
    JOIN ref.card_fee_contracts AS c
        ON c.card_brand = upper(replace(trim(f.card_brand), ' ', '_')) AND c.valid_from <= f.business_date
    QUALIFY row_number() OVER (PARTITION BY f.business_date, f.batch_id, f.card_brand ORDER BY c.valid_from DESC) = 1
)
SELECT
    business_date, 'settlement', 'batch_brand', batch_id || '/' || card_brand, store_id, legal_entity,
    x.feature, x.value, x.evidence, ['batch:' || batch_id || '/' || card_brand]
FROM contracted
CROSS JOIN LATERAL (
    -- Fees charged above the contract, in basis points of the brand's sales (scale-free).
    SELECT 'fee_excess_bp' AS feature,
           ((fees_amount - contracted_fees) / sales_amount * 10000)::DOUBLE AS value,
           card_brand || ' fees ' || fees_amount || ' ' || currency || ' on sales of ' || sales_amount || ' (' || sales_count
               || ' sales) against ' || contracted_fees || ' contracted (' || (percentage_rate * 100)::DECIMAL(9, 4)
               || ' % + ' || fee_per_sale || ' per sale): ' || (fees_amount - contracted_fees) || ' over' AS evidence
    WHERE sales_amount > 0
    UNION ALL
    -- The percentage the batch was charged once the contracted fee per sale is taken off, in
    -- basis points: what a changed rate shows as.
    SELECT 'effective_fee_rate_bp',
           ((fees_amount - fee_per_sale * sales_count) / sales_amount * 10000)::DOUBLE,
           card_brand || ' charged ' || ((fees_amount - fee_per_sale * sales_count) / sales_amount * 100)::DECIMAL(9, 4)
               || ' % of ' || sales_amount || ' ' || currency || ' besides ' || fee_per_sale || ' per sale, contracted '
               || (percentage_rate * 100)::DECIMAL(9, 4) || ' %'
    WHERE sales_amount > 0
    UNION ALL
    -- A batch charged fees on a brand with no captured sales (refunds carry none): a flag, 1.
    -- The fees are an amount, and risk.features.value is a DOUBLE statistic, so the amount is
    -- given exactly in the evidence only (it was the value, an amount through a float).
    SELECT 'fees_without_sales', 1::DOUBLE,
           card_brand || ' fees ' || fees_amount || ' ' || currency || ' with no captured sales'
    WHERE sales_amount = 0 AND fees_amount <> 0
) AS x;
