-- Cross-reference: every standardised source record and the golden customer it belongs to,
-- with how it was linked. The sync (issue 15, item 4) reads which golden customers lack a D365
-- or a Retail record from golden_has_d365 / golden_has_retail.
CREATE TABLE IF NOT EXISTS mdm.customer_xref (
    record_key          VARCHAR NOT NULL PRIMARY KEY,
    golden_id           VARCHAR NOT NULL,
    source              VARCHAR NOT NULL,
    source_key          VARCHAR NOT NULL,
    linked_by           VARCHAR NOT NULL,
    match_probability   DOUBLE,
    golden_has_d365     BOOLEAN NOT NULL,
    golden_has_retail   BOOLEAN NOT NULL,
    first_linked_at     TIMESTAMPTZ NOT NULL,
    linked_at           TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE mdm.customer_xref IS 'Every customer source record (canonical.customer_records) and its golden customer (mdm.customers): exactly one row per record. Which golden customers lack a D365 or Retail record is read here.';
COMMENT ON COLUMN mdm.customer_xref.record_key IS 'source:source_key of the record.';
COMMENT ON COLUMN mdm.customer_xref.golden_id IS 'The active golden customer the record belongs to.';
COMMENT ON COLUMN mdm.customer_xref.source IS 'heartland_retail, d365 or payments.';
COMMENT ON COLUMN mdm.customer_xref.source_key IS 'The record''s key in its source (Retail customer id, D365 dataAreaId/CustomerAccount, payment token).';
COMMENT ON COLUMN mdm.customer_xref.linked_by IS 'The strongest link of the record into its golden customer: a deterministic rule (same_email_and_name, same_phone_and_name, d365_account, payment_card, synced_record: a record the customer sync created for this golden customer), model (splink score at or over the match threshold), review (a reviewer said same), or single (no other record).';
COMMENT ON COLUMN mdm.customer_xref.match_probability IS 'Best model probability of that link (NULL for rules, reviews and single records).';
COMMENT ON COLUMN mdm.customer_xref.golden_has_d365 IS 'Whether the golden customer has a D365 account (false: the sync creates one).';
COMMENT ON COLUMN mdm.customer_xref.golden_has_retail IS 'Whether the golden customer has a Heartland Retail record (false: the sync creates one).';
COMMENT ON COLUMN mdm.customer_xref.first_linked_at IS 'When the record was first linked to any golden customer.';
COMMENT ON COLUMN mdm.customer_xref.linked_at IS 'When it was linked to its current golden customer.';
