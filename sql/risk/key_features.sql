-- The model's sampling key (sql/macros/risk_sample_key.sql) of the rows the domain files just
-- wrote for the days $first..$last, in the same transaction: one hash per row of the day, where
-- training would otherwise hash every row of the window again for each day it scores. A file's
-- inserts leave the column out; this one statement keys whatever the files wrote.
UPDATE risk.features
SET sample_key = risk_sample_key(entity_id, business_date)
WHERE business_date BETWEEN $first AND $last AND sample_key IS NULL;
