-- ref.stores from mappings/stores.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.stores AS
SELECT store_id, merchant_id, store_name, lower(legal_entity) AS legal_entity, upper(currency) AS currency,
       timezone, tax_code, department, valid_from
FROM read_csv($dir || '/stores.csv', header = true, columns = {
    'store_id': 'VARCHAR', 'merchant_id': 'VARCHAR', 'store_name': 'VARCHAR', 'legal_entity': 'VARCHAR',
    'currency': 'VARCHAR', 'timezone': 'VARCHAR', 'tax_code': 'VARCHAR', 'department': 'VARCHAR',
    'valid_from': 'DATE'});
COMMENT ON TABLE ref.stores IS 'mappings/stores.csv as loaded: each store, the Heartland merchant id it trades under, its D365 legal entity, currency and time zone. A merchant id missing here loads with a mapping_issue (unknown_store).';
COMMENT ON COLUMN ref.stores.store_id IS 'Store id (S001): the POS store_id and the gateway''s site_reference.';
COMMENT ON COLUMN ref.stores.merchant_id IS 'Heartland merchant id (MER_…) of the store''s transactions and batches.';
COMMENT ON COLUMN ref.stores.store_name IS 'Store name, for people.';
COMMENT ON COLUMN ref.stores.legal_entity IS 'D365 legal entity (dataAreaId) the store books into, lower case.';
COMMENT ON COLUMN ref.stores.currency IS 'Currency the store trades in, upper case.';
COMMENT ON COLUMN ref.stores.timezone IS 'IANA time zone of the store (America/New_York): local times and business days of its records are taken in it.';
COMMENT ON COLUMN ref.stores.tax_code IS 'The store''s usual POS tax code (ref.tax_codes); ticket lines carry their own tax code, which is what the pipeline maps.';
COMMENT ON COLUMN ref.stores.department IS 'Store department (RETAIL, OUTLET): the match_value of the revenue, returns and cogs posting rules.';
COMMENT ON COLUMN ref.stores.valid_from IS 'Day the row took effect, as recorded in the file; the journals take the department of the row with the newest valid_from, the canonical layer matches on merchant_id or store_id alone.';
