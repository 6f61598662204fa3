-- The landing segments each raw load read, per entity and business day: what the conservation
-- check recounts. A segment that lands while a load runs (the webhook receiver never stops) is
-- the next load's, not a hole in this one's.
CREATE TABLE IF NOT EXISTS ops.partition_load_segments (
    source          VARCHAR NOT NULL,
    entity          VARCHAR NOT NULL,
    business_date   DATE NOT NULL,
    segment_path    VARCHAR NOT NULL
);
COMMENT ON TABLE ops.partition_load_segments IS 'Landing segments the last raw load of each entity and business day read (segments holding at least one line); replaced with ops.partition_loads.';
COMMENT ON COLUMN ops.partition_load_segments.source IS 'Landing source, e.g. heartland, d365.';
COMMENT ON COLUMN ops.partition_load_segments.entity IS 'Landing entity, e.g. payment_transactions.';
COMMENT ON COLUMN ops.partition_load_segments.business_date IS 'Business day (the landing directory) of the segment.';
COMMENT ON COLUMN ops.partition_load_segments.segment_path IS 'Path of the segment file as the load read it.';
