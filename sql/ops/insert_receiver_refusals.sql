-- Sum the receiver's landed refusal tallies of the run's days into ops.receiver_refusals. The
-- day is the segment's folder. A line that does not have the tally's shape fails the load
-- rather than being skipped: the receiver writes these lines itself, so one that does not parse
-- is a fault to see. $segments: the days' segment paths; $source: the landing source.
INSERT INTO ops.receiver_refusals
WITH tallies AS (
    SELECT
        CAST(regexp_extract(filename, 'business_date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) AS DATE) AS business_date,
        filename AS segment_path,
        payload
    FROM read_json(
        $segments,
        format = 'newline_delimited',
        columns = {
            'event_id': 'VARCHAR', 'event_type': 'VARCHAR', 'received_at': 'VARCHAR',
            'payload': 'STRUCT(http_status INTEGER, reason_code VARCHAR, date_basis VARCHAR, refusals BIGINT, first_refused_at VARCHAR, last_refused_at VARCHAR)'
        },
        filename = true, hive_partitioning = false
    )
)
SELECT
    business_date, payload.date_basis, $source, payload.http_status, payload.reason_code,
    sum(payload.refusals), min(CAST(payload.first_refused_at AS TIMESTAMPTZ)),
    max(CAST(payload.last_refused_at AS TIMESTAMPTZ)), count(DISTINCT segment_path), now()
FROM tallies
GROUP BY ALL;
