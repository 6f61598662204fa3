-- The risk benchmark's window features, outside the measurement: the features of the day before
-- the bench day ($day - 1, written by the feature files over its own copied history) copied to
-- the other $window_days - 1 days of the window, their ids moved from that day's suffix -H1 to
-- each copy's -H<n> (sql/reports/bench_risk_history.sql), as those days' own features name them,
-- with the sampling key of the copy's entity and day (as sql/risk/key_features.sql writes it).
-- One day computed instead of 28: the window's features cost minutes a day at a million
-- transactions, and the model and the history features only need their shape and volume.
INSERT INTO risk.features
SELECT f.* REPLACE (
    ($day - to_days(t.n::INTEGER))::DATE AS business_date,
    replace(f.entity_id, '-H1', '-H' || t.n) AS entity_id,
    list_transform(f.record_ids, lambda r: replace(r, '-H1', '-H' || t.n)) AS record_ids,
    risk_sample_key(replace(f.entity_id, '-H1', '-H' || t.n), ($day - to_days(t.n::INTEGER))::DATE)
        AS sample_key)
FROM risk.features AS f, range(2, $window_days + 1) AS t(n)
WHERE f.business_date = $day - 1;

-- The payments features' daily bins likewise (risk.payment_day_bins): the day before's bins were
-- counted from its scored transactions, whose card-not-present marks the copies above now carry;
-- the other window days' bins, counted when they had no features yet, are replaced by its copies.
DELETE FROM risk.payment_day_bins
WHERE business_date BETWEEN $day - $window_days AND $day - 2;

INSERT INTO risk.payment_day_bins
SELECT b.* REPLACE (($day - to_days(t.n::INTEGER))::DATE AS business_date)
FROM risk.payment_day_bins AS b, range(2, $window_days + 1) AS t(n)
WHERE b.business_date = $day - 1;
