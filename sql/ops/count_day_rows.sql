-- How many rows a table holds for a business day. {schema}.{table}: the table. $day: the day.
SELECT count(*) FROM {schema}.{table} WHERE business_date = $day
