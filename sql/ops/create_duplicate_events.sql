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
