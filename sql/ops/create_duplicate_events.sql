-- Redelivered events (same event id) are counted here, not loaded or quarantined twice.
CREATE TABLE IF NOT EXISTS ops.duplicate_events (
    source              VARCHAR NOT NULL,
    entity              VARCHAR NOT NULL,
    business_date       DATE NOT NULL,
    event_id            VARCHAR NOT NULL,
    segment_path        VARCHAR NOT NULL,
    line_number         BIGINT NOT NULL,
    loaded_segment_path VARCHAR NOT NULL,
    loaded_line_number  BIGINT NOT NULL,
    PRIMARY KEY (segment_path, line_number)
);
COMMENT ON TABLE ops.duplicate_events IS 'Deliveries skipped because an earlier delivery of the same event id was loaded, or was quarantined for the same reason (loaded_segment_path and loaded_line_number then name the quarantined line).';
COMMENT ON COLUMN ops.duplicate_events.source IS 'Landing source (heartland).';
COMMENT ON COLUMN ops.duplicate_events.entity IS 'Raw entity of its source (heartland: payment_transactions, settlement_batches; heartland_retail: tickets, items, customers, locations, payment_types, inventory_values).';
COMMENT ON COLUMN ops.duplicate_events.business_date IS 'Business day of the delivery.';
COMMENT ON COLUMN ops.duplicate_events.event_id IS 'The event id delivered more than once (a webhook retry, or the webhook and the API pull landing the same event).';
COMMENT ON COLUMN ops.duplicate_events.segment_path IS 'Landing segment of this skipped delivery.';
COMMENT ON COLUMN ops.duplicate_events.line_number IS 'Line of this skipped delivery in its segment, from 1.';
COMMENT ON COLUMN ops.duplicate_events.loaded_segment_path IS 'Landing segment of the delivery that was loaded (the earliest received), or of the quarantined delivery this one repeats.';
COMMENT ON COLUMN ops.duplicate_events.loaded_line_number IS 'Line of the loaded delivery in its segment.';
