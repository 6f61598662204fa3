-- The completed D365 pulls landed in these segments, newest first: a pull is complete when its
-- d365.pull_completed line landed, written only after every entity was read without error.
-- $segments: one entity's segments of one business day.
SELECT received_at, payload
FROM read_json(
    $segments,
    format = 'newline_delimited',
    columns = {event_id: 'VARCHAR', event_type: 'VARCHAR', received_at: 'VARCHAR', payload: 'JSON'}
)
WHERE event_type = 'd365.pull_completed'
ORDER BY received_at DESC;
