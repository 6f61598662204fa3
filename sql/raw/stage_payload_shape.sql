-- The payload shape of the staged lines (landed_lines, staged by the raw loader's one segment
-- reader): every field path (arrays as [*]) with its JSON type, per structure, and summed over
-- the day. Field names, types and counts only: no value leaves this statement (lines may carry
-- card or personal data). Lines that are not JSON objects are the quarantine's, not the shape's.
-- A day's lines share a handful of structures (json_structure: keys and value types, arrays'
-- elements merged), so the lines are grouped by structure first and json_tree walks one sample
-- line per structure, weighted by its line count. Exact for every field's presence (inside an
-- array: carried by some element of the line) and, outside arrays, for its type (a different
-- type is a different structure); inside an array a sample's per-element types stand for its
-- structure's lines (["x", 1] and [2, "y"] share one). payload_structure_fields keeps which
-- structure carries which field, so vanished fields are found from it without reading a line
-- again (count_vanished_fields.sql). Measured on the 1,000,000-line benchmark day under a 1GB
-- budget: json_tree over every line with row_number() as the line id ran out of memory (the
-- window holds every line).
CREATE OR REPLACE TEMP TABLE payload_structure_fields AS
WITH structures AS (
    SELECT json_structure(line) AS structure, count(*) AS lines, any_value(line) AS sample
    FROM landed_lines
    WHERE valid_utf8 AND json_valid(line) AND json_type(line) = 'OBJECT'
    GROUP BY structure
),
numbered_structures AS (
    SELECT row_number() OVER () AS structure_id, lines, sample
    FROM structures
)
-- DISTINCT: a field under an array repeats once per element within its sample line.
SELECT DISTINCT
    s.structure_id,
    s.lines,
    regexp_replace(substr(t.fullkey, 3), '\[[0-9]+\]', '[*]', 'g') AS field,
    t.type AS json_type
FROM numbered_structures AS s, json_tree(s.sample) AS t
WHERE t.fullkey <> '$';

CREATE OR REPLACE TEMP TABLE payload_shape AS
SELECT field, json_type, sum(lines)::BIGINT AS lines
FROM payload_structure_fields
GROUP BY ALL;
