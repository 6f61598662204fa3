-- One row per raw entity and business day: the conservation ledger of its last load.
CREATE TABLE IF NOT EXISTS ops.partition_loads (
    source          VARCHAR NOT NULL,
    entity          VARCHAR NOT NULL,
    business_date   DATE NOT NULL,
    segments        BIGINT NOT NULL,
    landed          BIGINT NOT NULL,
    loaded          BIGINT NOT NULL,
    duplicates      BIGINT NOT NULL,
    quarantined     BIGINT NOT NULL,
    loaded_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, entity, business_date)
);
COMMENT ON TABLE ops.partition_loads IS 'Per raw entity and day: landed = loaded + duplicates + quarantined.';
COMMENT ON COLUMN ops.partition_loads.source IS 'Landing source (heartland).';
COMMENT ON COLUMN ops.partition_loads.entity IS 'Raw entity of its source (heartland: payment_transactions, settlement_batches; heartland_retail: tickets, items, customers, locations, payment_types, inventory_values).';
COMMENT ON COLUMN ops.partition_loads.business_date IS 'Business day loaded; a day with no segments gets a row of zeros.';
COMMENT ON COLUMN ops.partition_loads.segments IS 'Landing segment files read for the day.';
COMMENT ON COLUMN ops.partition_loads.landed IS 'Lines read from those segments: every record that arrived.';
COMMENT ON COLUMN ops.partition_loads.loaded IS 'Records written to the raw table (first delivery of each event id).';
COMMENT ON COLUMN ops.partition_loads.duplicates IS 'Later deliveries of an event id already loaded (ops.duplicate_events).';
COMMENT ON COLUMN ops.partition_loads.quarantined IS 'Records not loaded, with a reason (ops.quarantine).';
COMMENT ON COLUMN ops.partition_loads.loaded_at IS 'When the day was last loaded (UTC).';
