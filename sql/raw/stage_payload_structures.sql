-- The structures of the staged lines (landed_lines, staged by the raw loader's one segment
-- reader, approved field mappings applied): lines that are JSON objects grouped by json_structure
-- (keys and value types, arrays' elements merged), each with its line count and one sample line
-- for stage_payload_shape.sql to walk. A day's lines share a handful of structures. Lines that
-- are not JSON objects are the quarantine's, not the shape's. The samples are dropped by
-- stage_payload_shape.sql once walked (lines may carry card or personal data).
CREATE OR REPLACE TEMP TABLE payload_structures AS
SELECT json_structure(line) AS structure, count(*) AS lines, any_value(line) AS sample
FROM landed_lines
WHERE valid_utf8 AND json_valid(line) AND json_type(line) = 'OBJECT'
GROUP BY structure;
