-- The model's scored pairs ({predictions}: splink's output) become links when at or over the
-- match threshold, and review-queue entries between the review and match thresholds. Two D365
-- accounts are never merged without a person: their pair is queued whatever its score.
-- Household guard: relatives share a surname, a street, a phone line and often one e-mail, so
-- the model scores them as one person; two records whose first names clearly differ (not a
-- nickname, not a typo, not first and last name swapped) are never linked nor queued. A false
-- merge mixes two people's money; a missed one is a duplicate a reviewer can still join. Two
-- records whose last names clearly differ (a marriage, or names typed the wrong way round on
-- both) are queued, never linked by the model.
CREATE OR REPLACE TEMP TABLE customer_scored_pairs AS
WITH reasons AS (
    -- each comparison's level and its weight ({levels}), what a reviewer reads
    SELECT g.unique_id_l, g.unique_id_r,
        string_agg(replace(g.gamma_column, 'gamma_', '') || ': ' || v.label || ' ('
            || CASE WHEN v.match_weight >= 0 THEN '+' ELSE '' END || round(v.match_weight, 1)::VARCHAR || ')',
            '; ' ORDER BY g.gamma_column) AS reasons
    FROM (
        UNPIVOT (SELECT unique_id_l, unique_id_r, COLUMNS('^gamma_') FROM {predictions})
        ON COLUMNS('^gamma_') INTO NAME gamma_column VALUE gamma
    ) AS g
    JOIN {levels} AS v ON v.gamma_column = g.gamma_column AND v.gamma = g.gamma
    GROUP BY ALL
)
SELECT
    least(l.record_key, r.record_key) AS record_key_l,
    greatest(l.record_key, r.record_key) AS record_key_r,
    p.match_probability,
    p.match_weight,
    l.source = 'd365' AND r.source = 'd365' AS two_d365_accounts,
    coalesce(
        jaro_winkler_similarity(l.given_name_key, r.given_name_key) < 0.8
            AND NOT (jaro_winkler_similarity(l.given_name_key, r.last_name_key) >= 0.9
                AND jaro_winkler_similarity(l.last_name_key, r.given_name_key) >= 0.9),
        FALSE) AS first_names_differ,
    coalesce(
        jaro_winkler_similarity(l.last_name_key, r.last_name_key) < 0.8
            AND NOT (jaro_winkler_similarity(l.given_name_key, r.last_name_key) >= 0.9
                AND jaro_winkler_similarity(l.last_name_key, r.given_name_key) >= 0.9),
        FALSE) AS last_names_differ,
    x.reasons
FROM {predictions} AS p
LEFT JOIN reasons AS x ON x.unique_id_l = p.unique_id_l AND x.unique_id_r = p.unique_id_r
JOIN customer_match_input AS l ON l.unique_id = p.unique_id_l
JOIN customer_match_input AS r ON r.unique_id = p.unique_id_r;

INSERT INTO customer_links
SELECT record_key_l, record_key_r, 'model', match_probability
FROM customer_scored_pairs
WHERE match_probability >= $match_probability
    AND NOT (two_d365_accounts OR first_names_differ OR last_names_differ);
