-- The product sync's outbox, as mdm.sync_requests is the customer sync's: one row per create or
-- update sent to Heartland Retail or D365, keyed by (SKU, system, action, version) and written
-- BEFORE the request leaves, so a crash between sending and recording leaves a 'sending' row the
-- next run resolves by looking the record up first (Retail: the item by public_id; D365: the
-- barcode by its key) or by sending the same PATCH again (hl_d365_assets/products/).
CREATE TABLE IF NOT EXISTS mdm.product_sync_requests (
    request_key         VARCHAR NOT NULL PRIMARY KEY,
    legal_entity        VARCHAR NOT NULL,
    item_number         VARCHAR NOT NULL,
    sku                 VARCHAR NOT NULL,
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
COMMENT ON TABLE mdm.product_sync_requests IS 'Product sync outbox: each create or update sent to Heartland Retail (D365-mastered fields) or D365 (Retail-mastered fields), recorded before it is sent and finished after; the key makes every change happen once.';
COMMENT ON COLUMN mdm.product_sync_requests.request_key IS 'sku|system|action|version.';
COMMENT ON COLUMN mdm.product_sync_requests.legal_entity IS 'D365 company of the SKU. Source: canonical.products(legal_entity)';
COMMENT ON COLUMN mdm.product_sync_requests.item_number IS 'D365 item number: the public_id (Item #) of the item created. Source: canonical.products(item_number)';
COMMENT ON COLUMN mdm.product_sync_requests.sku IS 'legal_entity/item_number, and /configuration/colour/size/style/version for a variant.';
COMMENT ON COLUMN mdm.product_sync_requests.system IS 'heartland_retail (D365-mastered fields pushed to Retail) or d365 (Retail-mastered fields written to D365).';
COMMENT ON COLUMN mdm.product_sync_requests.action IS 'heartland_retail: create (Retail lacked the SKU) or update (D365-mastered fields pushed to the matched item); d365: update (PATCH of ReleasedProductsV2 or ProductsV2) or create (a ProductBarcodesV3 row D365 lacked).';
COMMENT ON COLUMN mdm.product_sync_requests.version IS 'heartland_retail: 1 for a create; for an update the Retail item, the snapshot that showed the difference and a hash of the values pushed. d365: the entity set, then the barcode (create) or the Retail snapshot and a hash of the values (update).';
COMMENT ON COLUMN mdm.product_sync_requests.target_key IS 'heartland_retail: the Retail item id (known after the create answered or the look-up found it); d365: the record written, as its OData path (ReleasedProductsV2(dataAreaId=''usrt'',ItemNumber=''SKU-10010'')).';
COMMENT ON COLUMN mdm.product_sync_requests.fields IS 'Retail item fields whose values were sent (description, price, original_price, cost, upc).';
COMMENT ON COLUMN mdm.product_sync_requests.status IS 'sending (recorded, outcome not yet known), created, adopted (the look-up by public_id found what an earlier attempt created), updated, rejected (the target refused it: see detail, and recon.exceptions kind product_sync_rejected) or failed (no answer or a server error; retried next run).';
COMMENT ON COLUMN mdm.product_sync_requests.attempts IS 'How many times it was sent (or looked up).';
COMMENT ON COLUMN mdm.product_sync_requests.detail IS 'The target''s refusal in its own words (D365: the Infolog text), or the failure, naming the request.';
COMMENT ON COLUMN mdm.product_sync_requests.first_requested_at IS 'When it was first recorded.';
COMMENT ON COLUMN mdm.product_sync_requests.requested_at IS 'When the last attempt was recorded, before sending.';
COMMENT ON COLUMN mdm.product_sync_requests.finished_at IS 'When the last attempt''s outcome was recorded (NULL while sending).';
