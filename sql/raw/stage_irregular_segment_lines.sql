-- Lines of one irregular segment, split and decoded in Python (raw_loader.py), into the
-- landed_lines staging table (stage_landed_lines.sql). The business day comes from the
-- segment's path, as for the segments DuckDB splits itself.
-- $segment: its path; $lines: its lines as text; $valid: whether each line was UTF-8.
INSERT INTO landed_lines
SELECT $segment,
       CAST(regexp_extract($segment, 'business_date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) AS DATE),
       unnest(range(1, len($lines) + 1)), unnest($lines), unnest($valid)
