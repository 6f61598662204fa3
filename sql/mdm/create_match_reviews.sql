-- The review queue: pairs of customer records the model scored between the review and the
-- match threshold, and pairs of two D365 accounts (never merged without a person). A reviewer
-- sets status to same or different; that decision wins over every later run. Re-runs update the
-- score of open pairs and never reopen a decided one.
CREATE TABLE IF NOT EXISTS mdm.match_reviews (
    record_key_l        VARCHAR NOT NULL,
    record_key_r        VARCHAR NOT NULL,
    match_probability   DOUBLE,
    match_weight        DOUBLE,
    reasons             VARCHAR,
    status              VARCHAR NOT NULL DEFAULT 'open',
    decided_by          VARCHAR,
    decided_at          TIMESTAMPTZ,
    note                VARCHAR,
    first_queued_at     TIMESTAMPTZ NOT NULL,
    last_scored_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (record_key_l, record_key_r)
);
COMMENT ON TABLE mdm.match_reviews IS 'Pairs of customer records for a person to decide (same or different person): scored between the review and match thresholds of mappings/mdm_match_thresholds.csv, or two D365 accounts. A decision is kept and wins over every re-run.';
COMMENT ON COLUMN mdm.match_reviews.record_key_l IS 'The smaller record_key of the pair (canonical.customer_records).';
COMMENT ON COLUMN mdm.match_reviews.record_key_r IS 'The larger record_key of the pair.';
COMMENT ON COLUMN mdm.match_reviews.match_probability IS 'Latest model probability that the two are one person (a model score, not money: DOUBLE).';
COMMENT ON COLUMN mdm.match_reviews.match_weight IS 'Latest log2 Bayes factor of the pair (the sum of its comparison weights).';
COMMENT ON COLUMN mdm.match_reviews.reasons IS 'How each compared field agreed (name, email, phone, address, postcode, city levels), so a reviewer sees why it scored so.';
COMMENT ON COLUMN mdm.match_reviews.status IS 'open, same (merge them) or different (keep apart); set by a reviewer.';
COMMENT ON COLUMN mdm.match_reviews.decided_by IS 'Who decided.';
COMMENT ON COLUMN mdm.match_reviews.decided_at IS 'When they decided (UTC).';
COMMENT ON COLUMN mdm.match_reviews.note IS 'The reviewer''s note.';
COMMENT ON COLUMN mdm.match_reviews.first_queued_at IS 'When the pair first entered the queue.';
COMMENT ON COLUMN mdm.match_reviews.last_scored_at IS 'When a run last scored the pair.';
