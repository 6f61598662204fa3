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
