-- Security-relevant events. Keyed deterministically so re-running a day never doubles an entry.
CREATE TABLE IF NOT EXISTS ops.audit_log (
    audit_id        VARCHAR PRIMARY KEY,
    logged_at       TIMESTAMPTZ NOT NULL,
    action          VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    entity          VARCHAR NOT NULL,
    business_date   DATE NOT NULL,
    segment_path    VARCHAR NOT NULL,
    line_number     BIGINT NOT NULL,
    detail          VARCHAR NOT NULL
);
COMMENT ON TABLE ops.audit_log IS 'Security events such as a blocked card number; never holds an unmasked PAN.';
