-- The records one D365 pull landed for an entity, and how many of them repeat another record of
-- the same pull exactly (served twice by $skip paging): those are loaded once.
-- $segments: the entity's segments of the pull's business day; $received_at: the pull's start.
SELECT count(*) AS landed, count(*) - count(DISTINCT payload) AS duplicates
FROM read_json(
    $segments,
    format = 'newline_delimited',
    columns = {event_id: 'VARCHAR', event_type: 'VARCHAR', received_at: 'VARCHAR', payload: 'JSON'}
)
WHERE event_type = 'd365.record' AND received_at = $received_at;
