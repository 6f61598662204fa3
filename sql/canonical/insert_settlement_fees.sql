-- Build canonical.settlement_fees for business days $first..$last: each batch's card-brand
-- breakdown, from the batches insert_settlement_batches.sql has just built (their latest
-- version, mapped) joined back to the raw line that carried them; each brand mapped for the
-- batch's store and day (mapped_payment_method, sql/ref/load_payment_methods.sql).
INSERT INTO canonical.settlement_fees BY NAME
WITH brand_rows AS (
    SELECT b.business_date, b.batch_id, b.store_id, b.currency, b.fx_rate,
           b.mapping_issue AS batch_issue, unnest(r.brand_breakdown) AS brand
    FROM canonical.settlement_batches AS b
    JOIN raw.settlement_batches AS r
        ON r.segment_path = b.source_segment_path AND r.line_number = b.source_line_number
    WHERE b.business_date BETWEEN $first AND $last
),
mapped_brands AS (
    SELECT *,
           mapped_payment_method('card_brand', brand.brand, store_id, business_date) AS payment_method_code
    FROM brand_rows
)
SELECT
    br.business_date,
    br.batch_id,
    br.store_id,
    br.brand.brand AS card_brand,
    br.payment_method_code,
    br.currency,
    br.brand.count AS transaction_count,
    minor_to_amount(br.brand.sales_amount, c.minor_unit_exponent) AS sales_amount,
    minor_to_amount(br.brand.refunds_amount, c.minor_unit_exponent) AS refunds_amount,
    minor_to_amount(br.brand.amount, c.minor_unit_exponent) AS net_amount,
    minor_to_amount(br.brand.fees_amount, c.minor_unit_exponent) AS fees_amount,
    to_base_amount(minor_to_amount(br.brand.fees_amount, c.minor_unit_exponent), br.fx_rate) AS base_fees_amount,
    nullif(concat_ws('; ',
        br.batch_issue,
        CASE WHEN br.payment_method_code IS NULL
             THEN 'unmapped_payment_method: card brand "' || coalesce(br.brand.brand, '') || '" is not in mappings/payment_methods.csv'
        END
    ), '') AS mapping_issue
FROM mapped_brands AS br
LEFT JOIN ref.currencies AS c ON c.currency = br.currency;
