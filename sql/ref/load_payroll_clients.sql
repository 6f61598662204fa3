-- ref.payroll_clients from mappings/payroll_clients.csv ($dir: the mappings folder).
-- Which D365 legal entity and currency each Heartland Payroll client (company) books into.
CREATE OR REPLACE TABLE ref.payroll_clients AS
SELECT upper(trim(client_id)) AS client_id, lower(trim(legal_entity)) AS legal_entity,
       upper(trim(currency)) AS currency, valid_from
FROM read_csv($dir || '/payroll_clients.csv', header = true, columns = {
    'client_id': 'VARCHAR', 'legal_entity': 'VARCHAR', 'currency': 'VARCHAR', 'valid_from': 'DATE'});
COMMENT ON TABLE ref.payroll_clients IS 'mappings/payroll_clients.csv as loaded: the D365 legal entity and currency of each Heartland Payroll client id. On a check date the row with the newest valid_from on or before it wins; a client missing here leaves its pay runs with a mapping_issue (unmapped_payroll_client).';
COMMENT ON COLUMN ref.payroll_clients.client_id IS 'Heartland Payroll client id (8 characters, upper case), as raw.payroll_register.client_id.';
COMMENT ON COLUMN ref.payroll_clients.legal_entity IS 'D365 legal entity (dataAreaId) the client''s payroll books into, lower case.';
COMMENT ON COLUMN ref.payroll_clients.currency IS 'Currency the client''s payroll is paid in, upper case.';
COMMENT ON COLUMN ref.payroll_clients.valid_from IS 'First check date the row applies.';
