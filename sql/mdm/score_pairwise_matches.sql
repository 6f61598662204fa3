-- Pairwise counts of mdm.customer_xref against a ground truth ({truth}: source, source_key,
-- person): records, true pairs, predicted pairs, correct pairs. n records in a group are
-- n * (n - 1) / 2 pairs.
WITH judged AS (
    SELECT x.golden_id, t.person
    FROM mdm.customer_xref AS x
    JOIN {truth} AS t ON t.source = x.source AND t.source_key = x.source_key
),
by_person AS (SELECT count(*) AS n FROM judged GROUP BY person),
by_golden AS (SELECT count(*) AS n FROM judged GROUP BY golden_id),
by_both AS (SELECT count(*) AS n FROM judged GROUP BY golden_id, person)
SELECT
    (SELECT count(*) FROM judged),
    (SELECT sum(n * (n - 1) // 2) FROM by_person),
    (SELECT sum(n * (n - 1) // 2) FROM by_golden),
    (SELECT sum(n * (n - 1) // 2) FROM by_both);
