-- candidates_settlement_total_mismatch: every batch of the day. Built once record defects are
-- applied, because they decide what the batches settle.
CREATE OR REPLACE VIEW candidates_settlement_total_mismatch AS
SELECT
    'settlement_batches' AS entity,
    store_idx,
    -1::BIGINT AS slot,
    0 AS ordinal,
    -1::BIGINT AS group_seq,
    NULL::BIGINT AS related_slot
FROM settlement_batches;

-- candidates_deposit_difference: every batch of the day (one not already hit by
-- settlement_total_mismatch is taken: insert_defects.sql skips a batch hit once).
CREATE OR REPLACE VIEW candidates_deposit_difference AS
SELECT * FROM candidates_settlement_total_mismatch;
