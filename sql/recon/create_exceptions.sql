-- Every discrepancy from every reconciliation, one row per exception id, kept across runs: a
-- re-materialised day refreshes what it detects but never touches an accountant's status or note.
-- An open exception that no longer stands is closed by the pipeline (status cleared, with when,
-- why and the event that cleared it), so status = 'open' alone means "still to chase".
CREATE TABLE IF NOT EXISTS recon.exceptions (
    exception_id            VARCHAR PRIMARY KEY,
    kind                    VARCHAR NOT NULL,
    severity                VARCHAR NOT NULL,
    business_date           DATE NOT NULL,
    store_id                VARCHAR,
    currency                VARCHAR,
    amount_at_risk          DECIMAL(18, 2),
    reported_amount         DECIMAL(18, 2),
    computed_amount         DECIMAL(18, 2),
    source_keys             VARCHAR NOT NULL,
    detail                  VARCHAR NOT NULL,
    first_seen_business_date DATE NOT NULL,
    last_seen_business_date DATE NOT NULL,
    first_detected_at       TIMESTAMPTZ NOT NULL,
    last_detected_at        TIMESTAMPTZ NOT NULL,
    still_detected          BOOLEAN NOT NULL,
    status                  VARCHAR NOT NULL,
    resolution_note         VARCHAR,
    resolved_by             VARCHAR,
    resolved_at             TIMESTAMPTZ,
    cleared_at              TIMESTAMPTZ,
    cleared_reason          VARCHAR,
    cleared_by_event_id     VARCHAR,
    cleared_by_segment_path VARCHAR,
    cleared_by_run_id       VARCHAR
);
-- Warehouses created before exceptions cleared themselves gain the columns, and their open
-- exceptions that no longer stand are closed the way record_exceptions.sql closes them now.
ALTER TABLE recon.exceptions ADD COLUMN IF NOT EXISTS cleared_at TIMESTAMPTZ;
ALTER TABLE recon.exceptions ADD COLUMN IF NOT EXISTS cleared_reason VARCHAR;
ALTER TABLE recon.exceptions ADD COLUMN IF NOT EXISTS cleared_by_event_id VARCHAR;
ALTER TABLE recon.exceptions ADD COLUMN IF NOT EXISTS cleared_by_segment_path VARCHAR;
ALTER TABLE recon.exceptions ADD COLUMN IF NOT EXISTS cleared_by_run_id VARCHAR;
UPDATE recon.exceptions
SET status = 'cleared', cleared_at = last_detected_at,
    cleared_reason = 'no longer found after ' || last_detected_at || ' (cleared before the pipeline recorded why)'
WHERE status = 'open' AND NOT still_detected;
COMMENT ON TABLE recon.exceptions IS 'One row per reconciliation exception with a stable id; status and resolution note are the accountant''s and survive re-materialisation.';
COMMENT ON COLUMN recon.exceptions.exception_id IS 'EXC_ + hash of kind and source keys: the same discrepancy keeps its id across re-runs.';
COMMENT ON COLUMN recon.exceptions.kind IS 'settlement_discrepancy, batch_without_transactions, transactions_without_batch, tender_without_gateway_transaction, gateway_transaction_without_tender, tender_amount_difference, currency_mismatch (a transaction in another currency than its tender, batch or store), deposit_difference (recon.deposits above the deposit tolerance), refund_exceeds_sale (refunds of a sale past what it captured); from the D365 read-back: gl_vs_d365_difference, gl_vs_d365_missing_in_d365, gl_vs_d365_not_in_journal, gl_vs_d365_duplicate_journal; from D365 order payments (recon.order_payments): payment_for_unknown_order, order_payment_over, order_payment_under, order_payment_declined, order_payment_link_expired; from the stock comparison (recon.inventory): inventory_difference, inventory_missing_in_d365, inventory_missing_in_retail (per item and location), inventory_location_missing_in_d365, inventory_location_missing_in_retail, inventory_location_unmapped (one per location); from the product match (canonical.products): product_unmatched_d365, product_unmatched_retail, product_barcode_ambiguous; from the payroll funding (recon.payroll_funding): payroll_funding_missing, payroll_funding_difference (per pay run and component, source_keys run_key=…, component=…); from the business rules defined in YAML (docs/low-code.md): business_rule (one per failing row, source_keys rule=<name>, <key columns>, business_date=…); from risk scoring (risk.alerts): risk_<pattern> (risk_card_testing, risk_ghost_employee, … and risk_model_anomaly; the patterns of hl_d365_assets/risk/patterns.py), one per scored entity and day, source_keys alert_id=RSK_…, entity=<domain>/<entity kind>/<entity id>.';
COMMENT ON COLUMN recon.exceptions.severity IS 'high when amount_at_risk reaches the currency''s alert_threshold (mappings/recon_tolerances.csv), else medium.';
COMMENT ON COLUMN recon.exceptions.amount_at_risk IS 'Absolute money the exception puts in doubt, in its currency.';
COMMENT ON COLUMN recon.exceptions.source_keys IS 'The keys to look the sources up by: batch_id=…, tender_id=…, transaction_id=…; store_id=…, currency=…, deposit_ids=… (deposit_difference); refund_id=…, sale_id=… (refund_exceeds_sale).';
COMMENT ON COLUMN recon.exceptions.still_detected IS 'False once a re-materialisation of its day no longer finds it (e.g. a late event filled the gap); cleared_* then say when and why. True again if it comes back.';
COMMENT ON COLUMN recon.exceptions.status IS 'open: still detected, nobody decided yet (status = ''open'' is the whole to-do list). cleared: set by the pipeline when an open exception stopped being detected (cleared_* say why); reopened as open if it comes back. accepted or resolved: set by accountants (UPDATE recon.exceptions SET status = …, resolution_note = …), never changed by the pipeline, even when the exception no longer stands (still_detected = false). fraud or not_fraud: a reviewer''s decision on a risk_* exception (with resolution_note), kept the same way and read as a label by risk.labels.';
COMMENT ON COLUMN recon.exceptions.cleared_at IS 'When a reconciliation first no longer found it (NULL while it stands; reset to NULL if it comes back).';
COMMENT ON COLUMN recon.exceptions.cleared_reason IS 'Why it no longer stands: what the reconciliation now says about its source keys (e.g. tender now matched by reference), or that its source rows are gone.';
COMMENT ON COLUMN recon.exceptions.cleared_by_event_id IS 'The newest landed event behind its source keys when it cleared: the late arrival that made the figures agree (e.g. the late capture). NULL when no source row is left.';
COMMENT ON COLUMN recon.exceptions.cleared_by_segment_path IS 'Landing segment of cleared_by_event_id.';
COMMENT ON COLUMN recon.exceptions.cleared_by_run_id IS 'Dagster run of the reconciliation that no longer found it (NULL for the D365 read-back kinds, cleared by post_journals_job''s read-back).';
COMMENT ON COLUMN recon.exceptions.business_date IS 'Business day the discrepancy belongs to.';
COMMENT ON COLUMN recon.exceptions.store_id IS 'Store concerned; NULL for the D365 read-back''s exceptions (gl_vs_d365_*), which are per journal.';
COMMENT ON COLUMN recon.exceptions.currency IS 'Currency of the amounts on the row; NULL for gl_vs_d365_duplicate_journal.';
COMMENT ON COLUMN recon.exceptions.reported_amount IS 'What the outside side says: the batch''s reported net (settlement kinds), the POS tender + tip (tender kinds and currency_mismatch), the reported deposit (deposit_difference), the sale captured (refund_exceeds_sale), or what D365 holds (gl_vs_d365_*); NULL when that side has nothing.';
COMMENT ON COLUMN recon.exceptions.computed_amount IS 'What we computed to compare with: the net of the captured transactions (settlement kinds), the gateway transaction''s amount (tender kinds and currency_mismatch), the expected deposit (deposit_difference), the sale''s refunds so far (refund_exceeds_sale), or the journal line''s amount (gl_vs_d365_*); NULL when that side has nothing.';
COMMENT ON COLUMN recon.exceptions.detail IS 'The discrepancy in words, with the figures on both sides and what was looked for; refreshed by every run that still finds it.';
COMMENT ON COLUMN recon.exceptions.first_seen_business_date IS 'Business day on which it was first found.';
COMMENT ON COLUMN recon.exceptions.last_seen_business_date IS 'Latest business day on which it was found again.';
COMMENT ON COLUMN recon.exceptions.first_detected_at IS 'When a run first found it (UTC).';
COMMENT ON COLUMN recon.exceptions.last_detected_at IS 'When a run last found it (UTC).';
COMMENT ON COLUMN recon.exceptions.resolution_note IS 'The accountant''s note on how it was resolved or why it is accepted; never overwritten by a run.';
COMMENT ON COLUMN recon.exceptions.resolved_by IS 'Who resolved or accepted it, as the accountant records it.';
COMMENT ON COLUMN recon.exceptions.resolved_at IS 'When it was resolved or accepted, as the accountant records it.';
