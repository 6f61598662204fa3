-- The structures of a day's lines read straight from its landing segments, as
-- stage_payload_structures.sql groups the staged ones: the payload_shape check's clean day needs
-- only the shape, so its lines are not staged (staging the 1,000,000-line benchmark day cost more
-- than the shape itself). One statement over all segments: no line number is kept, so no
-- ordinality and no window. The reader's options are stage_landed_lines_from_segment.sql's, so it
-- rejects the same segments (bad UTF-8, CR, SOH): the caller then stages the day through the
-- loader, whose irregular path reads such a segment line by line. A blank line reads as NULL and
-- is no JSON object, as the staged '' is not.
-- $segments: the day's segment paths.
CREATE OR REPLACE TEMP TABLE payload_structures AS
SELECT json_structure(line) AS structure, count(*) AS lines, any_value(line) AS sample
FROM read_csv(
    $segments,
    columns = {'line': 'VARCHAR'}, delim = chr(1), quote = '', escape = '', header = false,
    auto_detect = false, new_line = '\n', hive_partitioning = false,
    max_line_size = 67108864
)
WHERE json_valid(line) AND json_type(line) = 'OBJECT'
GROUP BY structure;
