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
