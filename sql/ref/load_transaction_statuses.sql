-- ref.transaction_statuses from mappings/transaction_statuses.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.transaction_statuses AS
SELECT source_field, upper(replace(trim(source_value), ' ', '_')) AS source_value,
       status_code, is_financial, description, valid_from
FROM read_csv($dir || '/transaction_statuses.csv', header = true, columns = {
    'source_field': 'VARCHAR', 'source_value': 'VARCHAR', 'status_code': 'VARCHAR',
    'is_financial': 'BOOLEAN', 'description': 'VARCHAR', 'valid_from': 'DATE'});
COMMENT ON TABLE ref.transaction_statuses IS 'mappings/transaction_statuses.csv as loaded: gateway and POS statuses mapped to a D365-style status, and whether money moved. A status missing here loads with a mapping_issue (unmapped_status).';
COMMENT ON COLUMN ref.transaction_statuses.source_field IS 'Which status is mapped: gateway_status (raw.payment_transactions.status) or retail_ticket_status (raw.retail_tickets.status, upper-cased).';
COMMENT ON COLUMN ref.transaction_statuses.source_value IS 'The status as the source sends it, upper case with spaces as underscores (CAPTURED, VOIDED).';
COMMENT ON COLUMN ref.transaction_statuses.status_code IS 'D365-style status (Invoiced, Settled, Authorized, Declined, Voided, Rejected): canonical status_code.';
COMMENT ON COLUMN ref.transaction_statuses.is_financial IS 'True when money moved (captured, batched, funded, a closed ticket): only such records count in reconciliation and journals.';
COMMENT ON COLUMN ref.transaction_statuses.description IS 'What the status means, for people.';
COMMENT ON COLUMN ref.transaction_statuses.valid_from IS 'Day the mapping took effect, as recorded in the file; lookups match on source_value alone, so keep one row per value.';
