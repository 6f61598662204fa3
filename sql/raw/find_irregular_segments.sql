-- Segments the fast line splitter refused: not valid UTF-8, or holding a character that breaks
-- its single-column reading (SOH, its delimiter; CR). They are staged line by line instead, so
-- their good lines still load and their bad ones are quarantined.
-- $segments: the segments to look at (the loader passes the one the splitter refused).
SELECT segment_path
FROM (SELECT filename AS segment_path, try(decode(content)) AS text FROM read_blob($segments))
WHERE text IS NULL OR contains(text, chr(1)) OR contains(text, chr(13));
