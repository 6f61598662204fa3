-- Decide each parsed line's fate: quarantine (first problem found wins, all are listed in the
-- detail), load (first delivery of its event id), or duplicate (a later delivery of a loaded id).
CREATE OR REPLACE TEMP TABLE ranked_events AS
WITH judged AS (
    SELECT
        *,
        nullif(split_part(problems[1], ': ', 1), '') AS reject_reason,
        array_to_string(problems, '; ') AS reject_detail
    FROM parsed_events
),
delivered AS (
    SELECT
        *,
        row_number() OVER deliveries AS delivery_rank,
        first_value(segment_path) OVER deliveries AS loaded_segment_path,
        first_value(line_number) OVER deliveries AS loaded_line_number
    FROM judged
    WHERE reject_reason IS NULL
    WINDOW deliveries AS (
        PARTITION BY business_date, event_id
        ORDER BY received_at, segment_path, line_number
    )
)
SELECT * FROM delivered
UNION ALL BY NAME
SELECT * FROM judged WHERE reject_reason IS NOT NULL;
