-- D365 business events as the receiver landed them (webhook/d365_events.py), one row per EventId:
-- redeliveries are in ops.duplicate_events, malformed ones in ops.quarantine. Columns keep D365's
-- envelope field names, so each is found in the D365 documentation under its own name.
CREATE TABLE IF NOT EXISTS raw.d365_business_events (
    business_date                   DATE NOT NULL,
    segment_path                    VARCHAR NOT NULL,
    line_number                     BIGINT NOT NULL,
    event_id                        VARCHAR NOT NULL,
    event_type                      VARCHAR,
    received_at                     TIMESTAMPTZ NOT NULL,
    BusinessEventId                 VARCHAR NOT NULL,
    BusinessEventLegalEntity        VARCHAR NOT NULL,
    ControlNumber                   BIGINT NOT NULL,
    EventTime                       TIMESTAMPTZ NOT NULL,
    EventTimeIso8601                VARCHAR,
    MajorVersion                    INTEGER,
    MinorVersion                    INTEGER,
    SalesOrderNumber                VARCHAR,
    SalesOrderStatus                VARCHAR,
    SalesOrderProcessingStatus      VARCHAR,
    payload                         JSON NOT NULL
);
COMMENT ON TABLE raw.d365_business_events IS 'D365 business events received at /webhooks/d365/<token>, one row per EventId (at-least-once delivery: redeliveries counted in ops.duplicate_events). The activation test message is never landed.';
COMMENT ON COLUMN raw.d365_business_events.business_date IS 'Merchant''s date of EventTime (the landing folder).';
COMMENT ON COLUMN raw.d365_business_events.segment_path IS 'Landing segment the event was read from.';
COMMENT ON COLUMN raw.d365_business_events.line_number IS 'Line of the event in its segment, from 1.';
COMMENT ON COLUMN raw.d365_business_events.event_id IS 'EventId: the event''s GUID, upper case; the deduplication key.';
COMMENT ON COLUMN raw.d365_business_events.event_type IS 'd365.business_event.';
COMMENT ON COLUMN raw.d365_business_events.received_at IS 'When the receiver landed the event (UTC).';
COMMENT ON COLUMN raw.d365_business_events.BusinessEventId IS 'The event''s class name, e.g. SalesOrderChangedBusinessEvent.';
COMMENT ON COLUMN raw.d365_business_events.BusinessEventLegalEntity IS 'Legal entity (dataAreaId) the event was raised in.';
COMMENT ON COLUMN raw.d365_business_events.ControlNumber IS 'Increasing with gaps: of two events, the higher ControlNumber is the later (duplicate and out-of-order detection).';
COMMENT ON COLUMN raw.d365_business_events.EventTime IS 'When D365 raised the event (sent as /Date(epoch ms)/), UTC.';
COMMENT ON COLUMN raw.d365_business_events.EventTimeIso8601 IS 'EventTimeIso8601 as sent (seven fractional digits).';
COMMENT ON COLUMN raw.d365_business_events.MajorVersion IS 'Contract major version.';
COMMENT ON COLUMN raw.d365_business_events.MinorVersion IS 'Contract minor version.';
COMMENT ON COLUMN raw.d365_business_events.SalesOrderNumber IS 'SalesOrderChangedBusinessEvent: the order changed (raw.d365_sales_orders.SalesOrderNumber).';
COMMENT ON COLUMN raw.d365_business_events.SalesOrderStatus IS 'SalesOrderChangedBusinessEvent: SalesOrderStatus as of the event (the order''s current state is raw.d365_sales_orders).';
COMMENT ON COLUMN raw.d365_business_events.SalesOrderProcessingStatus IS 'SalesOrderChangedBusinessEvent: SalesOrderProcessingStatus as of the event.';
COMMENT ON COLUMN raw.d365_business_events.payload IS 'The whole flat event as received (small: business events are notifications).';
