-- Pairs between the thresholds (and pairs of two D365 accounts) join mdm.match_reviews, or
-- refresh their score there while still open. A decided pair keeps its decision untouched.
INSERT INTO mdm.match_reviews BY NAME
SELECT record_key_l, record_key_r, match_probability, match_weight, reasons, 'open' AS status,
    $now AS first_queued_at, $now AS last_scored_at
FROM customer_scored_pairs
WHERE ((match_probability >= $review_probability AND match_probability < $match_probability)
        OR two_d365_accounts OR last_names_differ)
    AND NOT first_names_differ
ON CONFLICT (record_key_l, record_key_r) DO UPDATE SET
    match_probability = CASE WHEN match_reviews.status = 'open' THEN excluded.match_probability ELSE match_reviews.match_probability END,
    match_weight = CASE WHEN match_reviews.status = 'open' THEN excluded.match_weight ELSE match_reviews.match_weight END,
    reasons = CASE WHEN match_reviews.status = 'open' THEN excluded.reasons ELSE match_reviews.reasons END,
    last_scored_at = excluded.last_scored_at;
