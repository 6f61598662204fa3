-- The risk benchmark's prepared window: gateway transactions in the warehouse and feature rows of
-- the days before the bench day ($day).
SELECT (SELECT count(*) FROM canonical.payments) AS payments,
       (SELECT count(*) FROM risk.features WHERE business_date < $day) AS window_feature_rows
