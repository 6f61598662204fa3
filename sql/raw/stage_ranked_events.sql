-- Decide each parsed line's fate: quarantine (first problem found wins, all are listed in the
-- detail), load (first delivery of its event id), or duplicate (a later delivery of a loaded id).
-- Redeliveries are rare, so only event ids seen more than once are sorted; every other accepted
-- line is its event's first and only delivery. The line text is kept only where it is needed:
-- for the quarantine's masked payload.
CREATE OR REPLACE TEMP TABLE ranked_events AS
WITH judged AS (
    SELECT
        * EXCLUDE (line),
        nullif(split_part(problems[1], ': ', 1), '') AS reject_reason,
        array_to_string(problems, '; ') AS reject_detail,
        CASE WHEN len(problems) > 0 THEN line END AS line
    FROM parsed_events
),
repeated_ids AS (
    SELECT business_date, event_id
    FROM judged
    WHERE reject_reason IS NULL
    GROUP BY ALL
    HAVING count(*) > 1
),
repeated_deliveries AS (
    SELECT
        segment_path,
        line_number,
        row_number() OVER deliveries AS delivery_rank,
        first_value(segment_path) OVER deliveries AS loaded_segment_path,
        first_value(line_number) OVER deliveries AS loaded_line_number
    FROM judged
    SEMI JOIN repeated_ids USING (business_date, event_id)
    WHERE reject_reason IS NULL
    WINDOW deliveries AS (
        PARTITION BY business_date, event_id
        ORDER BY received_at, segment_path, line_number
    )
)
SELECT
    judged.*,
    CASE WHEN judged.reject_reason IS NULL THEN coalesce(r.delivery_rank, 1) END AS delivery_rank,
    r.loaded_segment_path,
    r.loaded_line_number
FROM judged
LEFT JOIN repeated_deliveries AS r USING (segment_path, line_number);
