-- Which alert went to which alert route (components/alert_route.py, docs/low-code.md), once per
-- route: an alert held by quiet hours, or not acknowledged, goes on a later run of the route.
CREATE TABLE IF NOT EXISTS ops.alert_route_deliveries (
    route           VARCHAR NOT NULL,
    alert_id        VARCHAR NOT NULL,
    delivered_at    TIMESTAMPTZ,
    delivery_error  VARCHAR,
    PRIMARY KEY (route, alert_id)
);
COMMENT ON TABLE ops.alert_route_deliveries IS 'Each alert sent to each alert route defined in YAML (defs/alert_routes/): delivered once per route, independent of the default webhook (ops.alerts.delivered_at).';
COMMENT ON COLUMN ops.alert_route_deliveries.route IS 'Name of the alert route (its defs.yaml).';
COMMENT ON COLUMN ops.alert_route_deliveries.alert_id IS 'The alert (ops.alerts.alert_id).';
COMMENT ON COLUMN ops.alert_route_deliveries.delivered_at IS 'When the route''s webhook acknowledged it; NULL while undelivered.';
COMMENT ON COLUMN ops.alert_route_deliveries.delivery_error IS 'Why the last attempt failed (endpoint and status, never the URL''s secret path); retried next run.';
