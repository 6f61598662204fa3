-- What the schema-drift check found on each raw entity's landed day: fields the parser's
-- contract does not know (new), contract fields missing where they appeared (vanished), with
-- line counts and value profiles — field names and numbers only, never a value.
CREATE TABLE IF NOT EXISTS ops.payload_drift (
    source          VARCHAR NOT NULL,
    entity          VARCHAR NOT NULL,
    business_date   DATE NOT NULL,
    field           VARCHAR NOT NULL,
    change          VARCHAR NOT NULL,
    json_type       VARCHAR,
    lines           BIGINT NOT NULL,
    mean_length     DOUBLE,
    digit_share     DOUBLE,
    letter_share    DOUBLE,
    distinct_ratio  DOUBLE,
    checked_at      TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE ops.payload_drift IS 'Per raw entity and landed day, the payload fields the parser contract (the from_json shapes of sql/raw/parse_*.sql) does not know (change = new), and the contract fields missing on the lines that carry a new field beside them (change = vanished); written by the payload_shape asset check, read by hl-d365 mappings suggest to propose field renames (docs/mapping-copilot.md). Names, counts and value profiles only.';
COMMENT ON COLUMN ops.payload_drift.field IS 'Field path as json_tree names it without the leading $. (payload.payment_method.card.masked_number_last4; arrays as [*]).';
COMMENT ON COLUMN ops.payload_drift.change IS 'new (not in the contract; the topmost such field: a new object is one change), new_beneath (a value beneath a new object: a candidate for a contract field moved into it, not a change of its own), vanished (a contract field missing on every line carrying a new field at the same place, or of the same name elsewhere (moved), while other lines of the day or the week before carry it), or absent (a contract field never seen there: a variant the source does not use; a rename candidate only when nothing vanished, never reported as drift).';
COMMENT ON COLUMN ops.payload_drift.lines IS 'new, new_beneath: lines carrying the field; vanished: lines carrying a new field paired with it but not this field.';
COMMENT ON COLUMN ops.payload_drift.mean_length IS 'Value profile: mean length of the field''s values as text (on the lines that carry it; of earlier days'' lines for a vanished field when the day has none).';
COMMENT ON COLUMN ops.payload_drift.digit_share IS 'Value profile: share of values that are all digits.';
COMMENT ON COLUMN ops.payload_drift.letter_share IS 'Value profile: share of values that are all letters.';
COMMENT ON COLUMN ops.payload_drift.distinct_ratio IS 'Value profile: distinct values / values.';
COMMENT ON COLUMN ops.payload_drift.source IS 'Landing source (heartland, heartland_retail, d365, heartland_payroll, bank).';
COMMENT ON COLUMN ops.payload_drift.entity IS 'Landing entity of the source (payment_transactions, tickets, ...): the raw table it loads.';
COMMENT ON COLUMN ops.payload_drift.business_date IS 'The landed business day (partition) the finding is for.';
COMMENT ON COLUMN ops.payload_drift.json_type IS 'The JSON type the field arrives as (VARCHAR, BIGINT, DOUBLE, BOOLEAN, OBJECT, ARRAY), as json_tree reports it.';
COMMENT ON COLUMN ops.payload_drift.checked_at IS 'When the payload_shape check recorded it (UTC).';
