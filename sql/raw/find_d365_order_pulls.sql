-- The completed D365 pulls landed in these segments, newest first, with the segment holding each
-- pull's completion line: the sales-order loader replays every pull since the newest full one.
-- $segments: one entity's segments of one business day.
SELECT received_at, payload, filename AS completion_segment
FROM read_json(
    $segments,
    format = 'newline_delimited',
    columns = {event_id: 'VARCHAR', event_type: 'VARCHAR', received_at: 'VARCHAR', payload: 'JSON'},
    filename = true
)
WHERE event_type = 'd365.pull_completed'
ORDER BY received_at DESC;
