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
