-- Decide each parsed line's fate: quarantine (first problem found wins, all are listed in the
-- detail), load (first delivery of its event id), or duplicate (a later delivery of an event id
-- already loaded, or already quarantined for the same reason: a bad event delivered twice, by
-- the webhook and again by the end-of-day pull, is one quarantined event and one duplicate, not
-- two quarantined events). A bad copy of an event that also arrived good stays quarantined:
-- it differs from what was loaded, so someone should see it.
--
-- One wide copy of the day, not two: the parse is judged into judged_events (the only table
-- holding every parsed line), the redeliveries are ranked into a small table of their own
-- (redeliveries are rare: only event ids seen more than once are sorted; every other accepted
-- line is its event's first and only delivery), and ranked_events is a view joining the two
-- that replace_partition.sql inserts from. Ranking in one statement over a CTE of the judged
-- lines made DuckDB materialise that CTE (read three times) and then write the ranked copy:
-- two copies of a million parsed lines, ~5 s of CPU on the 1M day (docs/benchmarks.md, Issue
-- 20, "raw load in fewer passes"). The line text is kept only where it is needed: for the
-- quarantine's masked payload.
CREATE OR REPLACE TEMP TABLE judged_events AS
SELECT
    * EXCLUDE (line),
    nullif(split_part(problems[1], ': ', 1), '') AS reject_reason,
    array_to_string(problems, '; ') AS reject_detail,
    CASE WHEN len(problems) > 0 THEN line END AS line,
    -- A rejected line may not parse; its id is then read from the text, as the quarantine does.
    coalesce(
        nullif(event_id, ''),
        CASE WHEN len(problems) > 0
            THEN nullif(regexp_extract(line, '"event_id"\s*:\s*"([^"]{1,200})"', 1), '')
        END
    ) AS delivered_event_id
FROM parsed_events;

-- Each delivery of a repeated event id: its rank (accepted deliveries rank among themselves,
-- rejected ones among those with the same reason), the delivery kept, and whether it is a
-- repeated bad delivery (a duplicate of the quarantined one: no reason, a later rank).
CREATE OR REPLACE TEMP TABLE redeliveries AS
WITH repeated_ids AS (
    SELECT business_date, delivered_event_id
    FROM judged_events
    WHERE delivered_event_id IS NOT NULL
    GROUP BY ALL
    HAVING count(*) > 1
),
repeated_deliveries AS (
    SELECT
        segment_path,
        line_number,
        reject_reason,
        row_number() OVER deliveries AS delivery_rank,
        first_value(segment_path) OVER deliveries AS kept_segment_path,
        first_value(line_number) OVER deliveries AS kept_line_number,
        bool_or(reject_reason IS NULL) OVER (PARTITION BY business_date, delivered_event_id)
            AS ever_accepted
    FROM judged_events
    SEMI JOIN repeated_ids USING (business_date, delivered_event_id)
    WINDOW deliveries AS (
        PARTITION BY business_date, delivered_event_id, coalesce(reject_reason, '')
        ORDER BY received_at, segment_path, line_number
    )
)
SELECT
    segment_path,
    line_number,
    delivery_rank,
    kept_segment_path,
    kept_line_number,
    reject_reason IS NOT NULL AND delivery_rank > 1 AND NOT ever_accepted AS quarantined_again
FROM repeated_deliveries;

CREATE OR REPLACE TEMP VIEW ranked_events AS
SELECT
    judged.* EXCLUDE (event_id, reject_reason, delivered_event_id),
    CASE WHEN r.quarantined_again THEN judged.delivered_event_id ELSE judged.event_id END
        AS event_id,
    CASE WHEN r.quarantined_again IS NOT TRUE THEN judged.reject_reason END AS reject_reason,
    CASE
        WHEN r.quarantined_again THEN r.delivery_rank
        WHEN judged.reject_reason IS NULL THEN coalesce(r.delivery_rank, 1)
    END AS delivery_rank,
    CASE WHEN judged.reject_reason IS NULL OR r.quarantined_again
        THEN r.kept_segment_path END AS loaded_segment_path,
    CASE WHEN judged.reject_reason IS NULL OR r.quarantined_again
        THEN r.kept_line_number END AS loaded_line_number
FROM judged_events AS judged
LEFT JOIN redeliveries AS r USING (segment_path, line_number);
