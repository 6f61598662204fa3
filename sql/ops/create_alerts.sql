-- Alerts raised by the pipeline, for people to act on. Keyed so a re-run does not repeat them.
CREATE TABLE IF NOT EXISTS ops.alerts (
    alert_id        VARCHAR PRIMARY KEY,
    raised_at       TIMESTAMPTZ NOT NULL,
    severity        VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,
    business_date   DATE NOT NULL,
    message         VARCHAR NOT NULL
);
COMMENT ON TABLE ops.alerts IS 'Alerts for people: card data received, and later reconciliation breaks.';

-- Delivery to the configured alert webhook (HL_D365_ALERT_WEBHOOK_URL), added after the table
-- first shipped, hence ALTER: an alert is sent until delivered_at is set, never twice.
ALTER TABLE ops.alerts ADD COLUMN IF NOT EXISTS delivered_at TIMESTAMPTZ;
ALTER TABLE ops.alerts ADD COLUMN IF NOT EXISTS delivery_error VARCHAR;
COMMENT ON COLUMN ops.alerts.delivered_at IS 'When the alert webhook acknowledged it; NULL while undelivered or when no webhook is configured.';
COMMENT ON COLUMN ops.alerts.delivery_error IS 'Why the last delivery attempt failed (the endpoint, status or error), for the next run to retry.';
COMMENT ON COLUMN ops.alerts.alert_id IS 'Deterministic id (a hash of what raised it: ALR_ + the exception id for reconciliation breaks), so a re-run never raises the same alert twice.';
COMMENT ON COLUMN ops.alerts.raised_at IS 'When the pipeline first raised it (UTC).';
COMMENT ON COLUMN ops.alerts.severity IS 'critical (a full card number was received) or high (a reconciliation exception at or above the currency''s alert_threshold, a D365 read-back difference, a journal D365 rejected).';
COMMENT ON COLUMN ops.alerts.kind IS 'What happened: card_number_received, personal_data_received (an SSN, bank or routing number or date of birth in a payroll or bank line), reconciliation_<exception kind>, gl_vs_d365_<difference kind>, d365_rejected.';
COMMENT ON COLUMN ops.alerts.business_date IS 'Business day the alert is about.';
COMMENT ON COLUMN ops.alerts.message IS 'What happened and what to do, in words, with amounts and keys; never an unmasked card number.';
