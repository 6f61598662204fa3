-- The day's rows whose {key} (one of the model's slice keys: a unique key, or the columns a rule
-- over several rows groups by) another row of the day shares.
-- {schema}.{table}: the checked table. $day: the business day.
INSERT INTO contract_duplicate_rows
SELECT rowid
FROM {schema}.{table}
WHERE business_date = $day
QUALIFY count(*) OVER (PARTITION BY {key}) > 1;
