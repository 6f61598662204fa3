-- What the two systems were last brought to agree on, per golden customer and attribute, as a
-- hash (not the value: it is personal data): an edit since then is a record whose value hashes
-- differently, and edits in both systems are a conflict (mdm.sync_conflicts).
CREATE TABLE IF NOT EXISTS mdm.customer_sync_state (
    golden_id   VARCHAR NOT NULL,
    attribute   VARCHAR NOT NULL,
    value_hash  VARCHAR NOT NULL,
    synced_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (golden_id, attribute)
);
COMMENT ON TABLE mdm.customer_sync_state IS 'Per golden customer and attribute, a hash of the value the last completed sync pushed to every system: the base an edit is measured against.';
COMMENT ON COLUMN mdm.customer_sync_state.golden_id IS 'The golden customer.';
COMMENT ON COLUMN mdm.customer_sync_state.attribute IS 'name, email, phone or address.';
COMMENT ON COLUMN mdm.customer_sync_state.value_hash IS 'md5 of the synced value (the parts |-joined).';
COMMENT ON COLUMN mdm.customer_sync_state.synced_at IS 'When the sync completed for this customer.';
