-- Days of the trailing window $window_start .. $day - 1 that have risk features: the history the
-- model of $day would learn from (hl_d365_assets/risk/model.py; it trains from
-- model_min_history_days of them).
SELECT count(DISTINCT business_date)
FROM risk.features
WHERE business_date >= $window_start AND business_date < $day
