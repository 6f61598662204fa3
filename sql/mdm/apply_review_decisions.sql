-- A person's decision wins over every rule and score: "different" removes the direct link
-- between the two records, "same" adds one. (Two records kept apart can still meet through a
-- third record linked to both; the checks on mdm.customers show such a golden customer.)
DELETE FROM customer_links AS k
USING mdm.match_reviews AS d
WHERE d.status = 'different' AND d.record_key_l = k.record_key_l AND d.record_key_r = k.record_key_r;

INSERT INTO customer_links
SELECT d.record_key_l, d.record_key_r, 'review', NULL
FROM mdm.match_reviews AS d
JOIN canonical.customer_records AS l ON l.record_key = d.record_key_l
JOIN canonical.customer_records AS r ON r.record_key = d.record_key_r
WHERE d.status = 'same';
