-- Requests the webhook receiver refused (400, 413, 422), counted per day, source, status and
-- reason code from its landed tallies (landing/heartland/receiver_refusals/). Counts only:
-- nothing of a refused request is kept anywhere. Replaced per day like every partition.
CREATE TABLE IF NOT EXISTS ops.receiver_refusals (
    business_date       DATE NOT NULL,
    date_basis          VARCHAR NOT NULL,
    source              VARCHAR NOT NULL,
    http_status         INTEGER NOT NULL,
    reason_code         VARCHAR NOT NULL,
    refusals            BIGINT NOT NULL,
    first_refused_at    TIMESTAMPTZ NOT NULL,
    last_refused_at     TIMESTAMPTZ NOT NULL,
    segments            BIGINT NOT NULL,
    loaded_at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (business_date, source, date_basis, http_status, reason_code)
);
COMMENT ON TABLE ops.receiver_refusals IS 'Requests the webhook receiver refused (400 unreadable or malformed, 413 too large, 422 unknown event type), per day, source, status and reason code: why a batch may be short. Counts only, never a payload or a value of one. 401 (unsigned) is not counted here (see the receiver''s /stats).';
COMMENT ON COLUMN ops.receiver_refusals.business_date IS 'The refused event''s business day when the receiver knew it before refusing (date_basis business_day), else the merchant''s date of receipt (receipt_day).';
COMMENT ON COLUMN ops.receiver_refusals.date_basis IS 'business_day or receipt_day: what business_date is.';
COMMENT ON COLUMN ops.receiver_refusals.source IS 'The source the receiver takes notifications for (heartland).';
COMMENT ON COLUMN ops.receiver_refusals.http_status IS 'HTTP status the sender was answered: 400, 413 or 422.';
COMMENT ON COLUMN ops.receiver_refusals.reason_code IS 'The receiver''s reason code: not_json, not_an_object, bad_shape (400), too_large (413), unknown_event_type (422).';
COMMENT ON COLUMN ops.receiver_refusals.refusals IS 'Requests refused with this status and reason on this day (a sender''s retries count each time).';
COMMENT ON COLUMN ops.receiver_refusals.first_refused_at IS 'Earliest refusal counted (UTC).';
COMMENT ON COLUMN ops.receiver_refusals.last_refused_at IS 'Latest refusal counted (UTC).';
COMMENT ON COLUMN ops.receiver_refusals.segments IS 'Landing segments the counts were read from.';
COMMENT ON COLUMN ops.receiver_refusals.loaded_at IS 'When the day was last loaded.';
