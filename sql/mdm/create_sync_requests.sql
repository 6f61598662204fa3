-- The customer sync's outbox: one row per change the sync sends to D365 or Heartland Retail,
-- keyed by (golden id, system, action, version) and written BEFORE the request leaves, so a
-- crash between sending and recording leaves a 'sending' row the next run resolves by looking
-- in the target first (hl_d365_assets/mdm/sync.py).
CREATE TABLE IF NOT EXISTS mdm.sync_requests (
    request_key         VARCHAR NOT NULL PRIMARY KEY,
    golden_id           VARCHAR NOT NULL,
    system              VARCHAR NOT NULL,
    action              VARCHAR NOT NULL,
    version             VARCHAR NOT NULL,
    target_key          VARCHAR,
    fields              VARCHAR[],
    status              VARCHAR NOT NULL,
    attempts            INTEGER NOT NULL,
    detail              VARCHAR,
    first_requested_at  TIMESTAMPTZ NOT NULL,
    requested_at        TIMESTAMPTZ NOT NULL,
    finished_at         TIMESTAMPTZ
);
COMMENT ON TABLE mdm.sync_requests IS 'Customer sync outbox: each create or update sent to D365 or Heartland Retail, recorded before it is sent and finished after; the key makes every change happen once.';
COMMENT ON COLUMN mdm.sync_requests.request_key IS 'golden_id|system|action|version: create version 1 (a golden customer is created once per system); update version target|hash of the values pushed.';
COMMENT ON COLUMN mdm.sync_requests.golden_id IS 'The golden customer (mdm.customers) the change is for.';
COMMENT ON COLUMN mdm.sync_requests.system IS 'd365 or heartland_retail.';
COMMENT ON COLUMN mdm.sync_requests.action IS 'create (the system lacked the customer) or update (surviving values pushed to an existing record).';
COMMENT ON COLUMN mdm.sync_requests.version IS '1 for a create; for an update the target record and a hash of the values pushed.';
COMMENT ON COLUMN mdm.sync_requests.target_key IS 'The record in the target: D365 dataAreaId/CustomerAccount, Retail customer id (known after the create answered or the look-up found it).';
COMMENT ON COLUMN mdm.sync_requests.fields IS 'Attributes sent (name, email, phone, address); never their values.';
COMMENT ON COLUMN mdm.sync_requests.status IS 'sending (recorded, outcome not yet known), created, adopted (a look-up found what an earlier attempt created), updated, rejected (the target refused it as invalid: see detail) or failed (no answer or a server error; retried next run).';
COMMENT ON COLUMN mdm.sync_requests.attempts IS 'How many times it was sent (or looked up).';
COMMENT ON COLUMN mdm.sync_requests.detail IS 'The target''s refusal or the failure, naming the request; no personal data.';
COMMENT ON COLUMN mdm.sync_requests.first_requested_at IS 'When it was first recorded.';
COMMENT ON COLUMN mdm.sync_requests.requested_at IS 'When the last attempt was recorded, before sending.';
COMMENT ON COLUMN mdm.sync_requests.finished_at IS 'When the last attempt''s outcome was recorded (NULL while sending).';
