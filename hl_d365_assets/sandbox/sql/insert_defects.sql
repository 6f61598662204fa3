-- Pick up to $count records of defect kind $kind from candidates_{kind}
-- (create_defect_candidates.sql) into defects: a seeded hash decides which, so a day draws the
-- same defects on every run, and a ticket group hit by one defect is never hit by another.
INSERT INTO defects (kind, entity, store_idx, slot, ordinal, group_seq, related_slot, pick)
SELECT
    $kind, c.entity, c.store_idx, c.slot, c.ordinal, c.group_seq, c.related_slot,
    hash(hash(getvariable('seed'), getvariable('day'), $kind, c.entity, c.store_idx, c.slot, c.ordinal))
        AS pick
FROM candidates_{kind} AS c
ANTI JOIN defects AS d ON d.store_idx = c.store_idx AND d.group_seq = c.group_seq
ORDER BY pick, c.entity, c.store_idx, c.slot, c.ordinal
LIMIT $count
