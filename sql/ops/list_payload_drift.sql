-- The recorded drift per entity and field across days, for the field-rename suggestions: lines
-- summed, profiles averaged, and the days it was seen on (the partitions a rename replays).
SELECT source, entity, field, change, arg_max(json_type, lines) AS json_type,
       sum(lines)::BIGINT AS lines, avg(mean_length), avg(digit_share), avg(letter_share),
       avg(distinct_ratio), list(DISTINCT business_date ORDER BY business_date) AS days
FROM ops.payload_drift
GROUP BY source, entity, field, change
ORDER BY source, entity, change, field
