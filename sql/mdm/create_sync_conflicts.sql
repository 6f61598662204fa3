-- Conflicting edits: an attribute of a golden customer changed in D365 and in Heartland Retail
-- since the last sync, to different values. The survivorship rule (mappings/mdm_survivorship.csv)
-- decided; this says which source won. Values are not repeated here (they are personal data and
-- stand in mdm.customers and the source records).
CREATE TABLE IF NOT EXISTS mdm.sync_conflicts (
    conflict_id         VARCHAR NOT NULL PRIMARY KEY,
    golden_id           VARCHAR NOT NULL,
    attribute           VARCHAR NOT NULL,
    rule                VARCHAR NOT NULL,
    edited_in           VARCHAR[] NOT NULL,
    winning_source      VARCHAR,
    winning_record_key  VARCHAR,
    overruled_record_keys VARCHAR[] NOT NULL,
    resolved_at         TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE mdm.sync_conflicts IS 'Conflicting edits of one golden customer attribute in D365 and Heartland Retail between two syncs, resolved by the survivorship rule; the surviving value is pushed to the other side.';
COMMENT ON COLUMN mdm.sync_conflicts.conflict_id IS 'golden_id|attribute|hash of the surviving value: logging the same resolution twice is one row.';
COMMENT ON COLUMN mdm.sync_conflicts.golden_id IS 'The golden customer.';
COMMENT ON COLUMN mdm.sync_conflicts.attribute IS 'name, email, phone or address.';
COMMENT ON COLUMN mdm.sync_conflicts.rule IS 'The survivorship rule that decided (source_priority, most_recent, most_complete).';
COMMENT ON COLUMN mdm.sync_conflicts.edited_in IS 'The systems whose records changed the attribute since the last sync.';
COMMENT ON COLUMN mdm.sync_conflicts.winning_source IS 'The source whose value survived.';
COMMENT ON COLUMN mdm.sync_conflicts.winning_record_key IS 'The record (source:source_key) whose value survived.';
COMMENT ON COLUMN mdm.sync_conflicts.overruled_record_keys IS 'Records whose edit was overruled: the sync writes the surviving value over them.';
COMMENT ON COLUMN mdm.sync_conflicts.resolved_at IS 'When the sync resolved it.';
