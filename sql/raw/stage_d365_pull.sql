-- The records of one landed D365 pull, as text: the pull wrote every Edm.Decimal as a string of
-- its exact digits, so nothing passes through a float on the way in.
-- DISTINCT: $skip paging can serve a record twice when D365 changes underneath the pull.
-- $segments: the entity's segments of the pull's business day; $received_at: the pull's start,
-- which every line of that pull carries; $columns: the envelope's columns, the payload as a
-- STRUCT of the table's D365 fields, each VARCHAR.
CREATE OR REPLACE TEMP TABLE {staged} AS
SELECT DISTINCT payload.*
FROM read_json($segments, format = 'newline_delimited', columns = $columns)
WHERE event_type = 'd365.record' AND received_at = $received_at;
