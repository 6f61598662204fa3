-- Source records that never become golden records, by reason (the asset's metadata).
SELECT
    CASE WHEN coalesce(public_id, '') = 'CASH' THEN 'walk_in_customer' ELSE 'card_without_one_customer' END AS reason,
    count(*) AS records
FROM customer_source_records
WHERE coalesce(public_id, '') = 'CASH' OR (source = 'payments' AND seen_with_source_key IS NULL)
GROUP BY ALL
ORDER BY reason;
