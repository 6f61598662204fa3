-- defects: the records of the day chosen for a defect (defects.py); the ground truth is read
-- from it. A record is (entity, store_idx, slot, ordinal): ordinal is the event_no of a
-- transaction event, 0 for a cash ticket and 1 for a slot's own ticket, 0 for a batch.
-- group_seq is the ticket (with its gateway transactions) or batch (-1) a defect claims, so no
-- record carries two defects that would hide each other.
CREATE OR REPLACE TABLE defects (
    kind VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    store_idx INTEGER NOT NULL,
    slot BIGINT NOT NULL,
    ordinal INTEGER NOT NULL,
    group_seq BIGINT NOT NULL,
    related_slot BIGINT,
    pick UBIGINT NOT NULL,
    event_id VARCHAR,
    business_key VARCHAR,
    detail VARCHAR
);
