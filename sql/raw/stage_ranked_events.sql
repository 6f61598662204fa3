-- Decide each parsed line's fate: quarantine (first problem found wins, all are listed in the
-- detail), load (first delivery of its event id), or duplicate (a later delivery of an event id
-- already loaded, or already quarantined for the same reason: a bad event delivered twice, by
-- the webhook and again by the end-of-day pull, is one quarantined event and one duplicate, not
-- two quarantined events). A bad copy of an event that also arrived good stays quarantined:
-- it differs from what was loaded, so someone should see it.
-- Redeliveries are rare, so only event ids seen more than once are sorted; every other accepted
-- line is its event's first and only delivery. The line text is kept only where it is needed:
-- for the quarantine's masked payload.
CREATE OR REPLACE TEMP TABLE ranked_events AS
WITH judged AS (
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
    FROM parsed_events
),
repeated_ids AS (
    SELECT business_date, delivered_event_id
    FROM judged
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
    FROM judged
    SEMI JOIN repeated_ids USING (business_date, delivered_event_id)
    -- Accepted deliveries rank among themselves; rejected ones among those with the same reason.
    WINDOW deliveries AS (
        PARTITION BY business_date, delivered_event_id, coalesce(reject_reason, '')
        ORDER BY received_at, segment_path, line_number
    )
),
quarantined_again AS (
    SELECT segment_path, line_number
    FROM repeated_deliveries
    WHERE reject_reason IS NOT NULL AND delivery_rank > 1 AND NOT ever_accepted
)
SELECT
    judged.* EXCLUDE (event_id, reject_reason, delivered_event_id),
    CASE WHEN q.segment_path IS NULL THEN judged.event_id ELSE judged.delivered_event_id END
        AS event_id,
    -- A repeated bad delivery is a duplicate of the quarantined one: no reason, a later rank.
    CASE WHEN q.segment_path IS NULL THEN judged.reject_reason END AS reject_reason,
    CASE
        WHEN q.segment_path IS NOT NULL THEN r.delivery_rank
        WHEN judged.reject_reason IS NULL THEN coalesce(r.delivery_rank, 1)
    END AS delivery_rank,
    CASE WHEN judged.reject_reason IS NULL OR q.segment_path IS NOT NULL
        THEN r.kept_segment_path END AS loaded_segment_path,
    CASE WHEN judged.reject_reason IS NULL OR q.segment_path IS NOT NULL
        THEN r.kept_line_number END AS loaded_line_number
FROM judged
LEFT JOIN repeated_deliveries AS r USING (segment_path, line_number)
LEFT JOIN quarantined_again AS q USING (segment_path, line_number);
