-- Golden customers holding two or more D365 accounts that no reviewer accepted: at least one
-- pair of their accounts lacks a "same" decision in mdm.match_reviews (two accounts are only
-- ever linked by a reviewer, or through a third record linked to both).
WITH accounts AS (
    SELECT golden_id, record_key FROM mdm.customer_xref WHERE source = 'd365'
),
pairs AS (
    SELECT a.golden_id, a.record_key AS record_key_l, b.record_key AS record_key_r
    FROM accounts AS a
    JOIN accounts AS b ON a.golden_id = b.golden_id AND a.record_key < b.record_key
)
SELECT count(DISTINCT p.golden_id)
FROM pairs AS p
LEFT JOIN mdm.match_reviews AS d
    ON d.record_key_l = p.record_key_l AND d.record_key_r = p.record_key_r AND d.status = 'same'
WHERE d.record_key_l IS NULL;
