-- ref.mdm_customer_sync from mappings/mdm_customer_sync.csv ($dir): where and how the customer
-- sync creates customers (D365 company, customer group, account numbering; the Retail custom
-- field holding the golden id), one named value a row.
CREATE OR REPLACE TABLE ref.mdm_customer_sync AS
SELECT lower(name) AS name, value, note
FROM read_csv($dir || '/mdm_customer_sync.csv', header = true, columns = {
    'name': 'VARCHAR', 'value': 'VARCHAR', 'note': 'VARCHAR'});
COMMENT ON TABLE ref.mdm_customer_sync IS 'mappings/mdm_customer_sync.csv as loaded: D365 company, customer group and account numbering of customers the sync creates, and the Retail custom field holding the golden id.';
COMMENT ON COLUMN ref.mdm_customer_sync.name IS 'Setting name.';
COMMENT ON COLUMN ref.mdm_customer_sync.value IS 'Its value.';
COMMENT ON COLUMN ref.mdm_customer_sync.note IS 'Why it is set so.';
