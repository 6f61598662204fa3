-- customer_links: the deterministic links between customer records, before any model runs.
-- Each rule links every record of a group to the group's smallest record (a star: enough for
-- connected components, and linear in the group's size). A name is part of the e-mail and
-- phone rules because families share both (the whole name, nickname resolved: a name typed
-- the wrong way round matches a relative's on its first half); a D365 account carried by a Retail record, and a
-- card seen with a Retail customer on a ticket, need nothing more. A record the customer sync
-- created (mdm.sync_requests) joins the golden customer it was created for: it is linked to that
-- customer's first record, so the next pull brings it back as the same golden customer.
CREATE OR REPLACE TEMP TABLE customer_links AS
WITH keyed AS (
    SELECT record_key, 'same_email_and_name' AS linked_by,
        email_mailbox || '|' || given_name_key || '|' || last_name_key AS link_key
    FROM canonical.customer_records
    WHERE email_mailbox IS NOT NULL AND given_name_key IS NOT NULL AND last_name_key IS NOT NULL
    UNION ALL
    SELECT record_key, 'same_phone_and_name', phone_e164 || '|' || given_name_key || '|' || last_name_key
    FROM canonical.customer_records
    WHERE phone_e164 IS NOT NULL AND given_name_key IS NOT NULL AND last_name_key IS NOT NULL
    UNION ALL
    SELECT record_key, 'd365_account', d365_account
    FROM canonical.customer_records
    WHERE d365_account IS NOT NULL
),
stars AS (
    SELECT record_key, linked_by, min(record_key) OVER (PARTITION BY linked_by, link_key) AS hub
    FROM keyed
),
cards AS (
    SELECT p.record_key, 'payment_card' AS linked_by, p.seen_with_record_key AS hub
    FROM canonical.customer_records AS p
    JOIN canonical.customer_records AS r ON r.record_key = p.seen_with_record_key
    WHERE p.source = 'payments'
),
synced AS (
    SELECT s.system || ':' || s.target_key AS record_key, 'synced_record' AS linked_by,
        min(x.record_key) AS hub
    FROM mdm.sync_requests AS s
    JOIN mdm.customer_xref AS x ON x.golden_id = s.golden_id AND x.record_key <> s.system || ':' || s.target_key
    JOIN canonical.customer_records AS held ON held.record_key = x.record_key
    WHERE s.action = 'create' AND s.status IN ('created', 'adopted')
      AND s.system || ':' || s.target_key IN (SELECT record_key FROM canonical.customer_records)
    GROUP BY ALL
)
SELECT DISTINCT least(record_key, hub) AS record_key_l, greatest(record_key, hub) AS record_key_r,
    linked_by, NULL::DOUBLE AS match_probability
FROM (SELECT * FROM stars UNION ALL SELECT * FROM cards UNION ALL SELECT * FROM synced)
WHERE record_key <> hub;
