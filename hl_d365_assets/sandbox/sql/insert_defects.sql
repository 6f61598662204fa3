-- Pick up to $count records of defect kind $kind from candidates_{kind}
-- (create_defect_candidates.sql) into defects: a seeded hash decides which, so a day draws the
-- same defects on every run, and a ticket group hit by one defect is never hit by another.
-- Tickets hash under their old entity name, pos_tickets, so retiring that landing entity left
-- every day's picks (and so its data) as they were.
INSERT INTO defects (kind, entity, store_idx, slot, ordinal, group_seq, related_slot, pick)
SELECT
    $kind, c.entity, c.store_idx, c.slot, c.ordinal, c.group_seq, c.related_slot,
    hash(hash(getvariable('seed'), getvariable('day'), $kind,
        CASE c.entity WHEN 'tickets' THEN 'pos_tickets' ELSE c.entity END, c.store_idx, c.slot, c.ordinal))
        AS pick
FROM candidates_{kind} AS c
ANTI JOIN defects AS d ON d.store_idx = c.store_idx AND d.group_seq = c.group_seq
ORDER BY pick, CASE c.entity WHEN 'tickets' THEN 'pos_tickets' ELSE c.entity END, c.store_idx, c.slot, c.ordinal
LIMIT $count
