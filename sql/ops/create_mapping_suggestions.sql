-- Suggested mappings for the values the checks report unmapped, and what a person decided. A
-- suggestion is never applied by itself: only approving it (hl-d365 mappings approve, or the
-- approve_mapping_job in the Dagster UI) writes a row into the mapping file, and only the row
-- written there ever maps a record (the ref.* tables read the files, never this table).
CREATE TABLE IF NOT EXISTS ops.mapping_suggestions (
    suggestion_id       VARCHAR PRIMARY KEY,
    mapping_kind        VARCHAR NOT NULL,
    mapping_file        VARCHAR NOT NULL,
    context             VARCHAR NOT NULL,
    unmapped_value      VARCHAR NOT NULL,
    suggestion_rank     INTEGER NOT NULL,
    confidence          DOUBLE NOT NULL,
    reason              VARCHAR NOT NULL,
    target              VARCHAR NOT NULL,
    proposed_row        VARCHAR NOT NULL,
    source              VARCHAR NOT NULL,
    held_business_dates DATE[] NOT NULL,
    held_records        BIGINT NOT NULL,
    replay_job          VARCHAR NOT NULL,
    suggested_at        TIMESTAMPTZ NOT NULL,
    status              VARCHAR NOT NULL,
    decided_by          VARCHAR,
    decided_at          TIMESTAMPTZ,
    decision_note       VARCHAR,
    valid_from          DATE
);
COMMENT ON TABLE ops.mapping_suggestions IS 'Up to three suggested mappings per value the checks report unmapped (docs/mapping-copilot.md), with confidence and reason, and the person''s decision. Open suggestions are refreshed by hl-d365 mappings suggest; decided ones are kept as they are.';
COMMENT ON COLUMN ops.mapping_suggestions.suggestion_id IS 'Deterministic id (MS_ + a hash of kind, context, value and the proposed target): the same suggestion keeps its id across refreshes.';
COMMENT ON COLUMN ops.mapping_suggestions.mapping_kind IS 'retail_payment_type, payment_method, transaction_status, tax_code, gl_posting_rule, earning_code, payroll_department, payroll_client, store_dimension (a store''s dimension value for the daily journal) or payroll_location_dimension (the same for the payroll journal), or field_rename.';
COMMENT ON COLUMN ops.mapping_suggestions.mapping_file IS 'The file under mappings/ that approving appends the row to.';
COMMENT ON COLUMN ops.mapping_suggestions.context IS 'The key''s first part where the file has one: card_brand or tender_type (payment_methods), gateway_status (transaction_statuses), the posting kind (gl_posting_rules), EARNING (gl_payroll_posting_rules); empty otherwise.';
COMMENT ON COLUMN ops.mapping_suggestions.unmapped_value IS 'The value as the records carry it (Crypto, MAESTRO, NY-XTRA).';
COMMENT ON COLUMN ops.mapping_suggestions.suggestion_rank IS '1 = best of the value''s suggestions, up to 3.';
COMMENT ON COLUMN ops.mapping_suggestions.confidence IS 'Score between 0 and 1: name similarity and 3-gram cosine against the target''s rows and descriptions, and the share of the value''s records the data links to the target when it does. A ranking score, not a probability.';
COMMENT ON COLUMN ops.mapping_suggestions.reason IS 'Why, in words: which existing row or description it reads like, what the data shows, what a language model said (when one is configured).';
COMMENT ON COLUMN ops.mapping_suggestions.target IS 'The proposed right-hand side as a person reads it (CARD / VISA; 112100 (Card clearing - Visa), dimensions store).';
COMMENT ON COLUMN ops.mapping_suggestions.proposed_row IS 'The whole CSV row approving appends (JSON object, column → value), valid_from filled in when approved.';
COMMENT ON COLUMN ops.mapping_suggestions.source IS 'offline (mapping files and the warehouse only), or language_model (added or re-ranked by the configured model, validated against the mapping files first).';
COMMENT ON COLUMN ops.mapping_suggestions.held_business_dates IS 'Business days whose records this value holds back: the partitions re-materialised when a suggestion for it is approved.';
COMMENT ON COLUMN ops.mapping_suggestions.held_records IS 'Records (canonical rows, journal lines) carrying the value''s mapping issue when last suggested.';
COMMENT ON COLUMN ops.mapping_suggestions.replay_job IS 'The job whose partitions are re-materialised for those days: daily_heartland_job, or payroll_job for payroll mappings.';
COMMENT ON COLUMN ops.mapping_suggestions.suggested_at IS 'When the suggestion was last computed (UTC).';
COMMENT ON COLUMN ops.mapping_suggestions.status IS 'open (awaiting a person), approved (its row is in the mapping file), rejected (by a person, or because another suggestion for the value was approved).';
COMMENT ON COLUMN ops.mapping_suggestions.decided_by IS 'Who approved or rejected it, as given to the command or the job''s config.';
COMMENT ON COLUMN ops.mapping_suggestions.decided_at IS 'When it was approved or rejected (UTC).';
COMMENT ON COLUMN ops.mapping_suggestions.decision_note IS 'The person''s note, or why it was rejected by the pipeline.';
COMMENT ON COLUMN ops.mapping_suggestions.valid_from IS 'valid_from of the row written on approval: by default the first held day, so every held day maps.';
