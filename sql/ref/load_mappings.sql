-- Reload the finance-owned mapping files (mappings/*.csv) into ref.*, with explicit types so a
-- typo in a file fails loudly here rather than mapping silently. Values are normalised the way
-- they are matched: upper case, spaces as underscores.
-- $dir: the mappings folder.
CREATE OR REPLACE TABLE ref.stores AS
SELECT store_id, merchant_id, store_name, lower(legal_entity) AS legal_entity, upper(currency) AS currency,
       timezone, tax_code, department, valid_from
FROM read_csv($dir || '/stores.csv', header = true, columns = {
    'store_id': 'VARCHAR', 'merchant_id': 'VARCHAR', 'store_name': 'VARCHAR', 'legal_entity': 'VARCHAR',
    'currency': 'VARCHAR', 'timezone': 'VARCHAR', 'tax_code': 'VARCHAR', 'department': 'VARCHAR',
    'valid_from': 'DATE'});

CREATE OR REPLACE TABLE ref.legal_entities AS
SELECT lower(legal_entity) AS legal_entity, name, upper(base_currency) AS base_currency, valid_from
FROM read_csv($dir || '/legal_entities.csv', header = true, columns = {
    'legal_entity': 'VARCHAR', 'name': 'VARCHAR', 'base_currency': 'VARCHAR', 'valid_from': 'DATE'});

CREATE OR REPLACE TABLE ref.currencies AS
SELECT upper(currency) AS currency, minor_unit_exponent, name
FROM read_csv($dir || '/currencies.csv', header = true, columns = {
    'currency': 'VARCHAR', 'minor_unit_exponent': 'INTEGER', 'name': 'VARCHAR'});

CREATE OR REPLACE TABLE ref.payment_methods AS
SELECT source_field, upper(replace(trim(source_value), ' ', '_')) AS source_value,
       payment_method_code, description, valid_from
FROM read_csv($dir || '/payment_methods.csv', header = true, columns = {
    'source_field': 'VARCHAR', 'source_value': 'VARCHAR', 'payment_method_code': 'VARCHAR',
    'description': 'VARCHAR', 'valid_from': 'DATE'});

CREATE OR REPLACE TABLE ref.transaction_statuses AS
SELECT source_field, upper(replace(trim(source_value), ' ', '_')) AS source_value,
       status_code, is_financial, description, valid_from
FROM read_csv($dir || '/transaction_statuses.csv', header = true, columns = {
    'source_field': 'VARCHAR', 'source_value': 'VARCHAR', 'status_code': 'VARCHAR',
    'is_financial': 'BOOLEAN', 'description': 'VARCHAR', 'valid_from': 'DATE'});

CREATE OR REPLACE TABLE ref.tax_codes AS
SELECT upper(tax_code) AS tax_code, rate_percent, d365_sales_tax_code, description, valid_from
FROM read_csv($dir || '/tax_codes.csv', header = true, columns = {
    'tax_code': 'VARCHAR', 'rate_percent': 'DECIMAL(9,4)', 'd365_sales_tax_code': 'VARCHAR',
    'description': 'VARCHAR', 'valid_from': 'DATE'});

CREATE OR REPLACE TABLE ref.fx_rates AS
SELECT rate_date, upper(from_currency) AS from_currency, upper(to_currency) AS to_currency, rate
FROM read_csv($dir || '/fx_rates.csv', header = true, columns = {
    'rate_date': 'DATE', 'from_currency': 'VARCHAR', 'to_currency': 'VARCHAR', 'rate': 'DECIMAL(18,8)'})
UNION ALL
-- A currency converts to itself at 1 from the beginning of time.
SELECT DATE '1900-01-01', currency, currency, 1 FROM ref.currencies;

-- A reconciled difference within absolute_tolerance + relative_tolerance x |reported figure| is
-- "within tolerance"; one of alert_threshold or more raises an ops.alerts row.
CREATE OR REPLACE TABLE ref.recon_tolerances AS
SELECT upper(currency) AS currency, absolute_tolerance, relative_tolerance, alert_threshold
FROM read_csv($dir || '/recon_tolerances.csv', header = true, columns = {
    'currency': 'VARCHAR', 'absolute_tolerance': 'DECIMAL(18,2)', 'relative_tolerance': 'DECIMAL(9,6)',
    'alert_threshold': 'DECIMAL(18,2)'});

-- General-ledger mapping (mappings/gl_*.csv): the chart of accounts and dimension values we may
-- post to, the order of the segments in a D365 AccountDisplayValue, each store's dimension
-- values, and which main account each kind of posting goes to from which day on.
CREATE OR REPLACE TABLE ref.gl_account_structure AS
SELECT position, segment
FROM read_csv($dir || '/gl_account_structure.csv', header = true, columns = {
    'position': 'INTEGER', 'segment': 'VARCHAR'});

CREATE OR REPLACE TABLE ref.gl_main_accounts AS
SELECT trim(main_account) AS main_account, name, account_type
FROM read_csv($dir || '/gl_main_accounts.csv', header = true, columns = {
    'main_account': 'VARCHAR', 'name': 'VARCHAR', 'account_type': 'VARCHAR'});

CREATE OR REPLACE TABLE ref.gl_dimension_values AS
SELECT trim(dimension) AS dimension, trim(value) AS value, description
FROM read_csv($dir || '/gl_dimension_values.csv', header = true, columns = {
    'dimension': 'VARCHAR', 'value': 'VARCHAR', 'description': 'VARCHAR'});

CREATE OR REPLACE TABLE ref.gl_store_dimensions AS
SELECT store_id, trim(dimension) AS dimension, trim(value) AS value, valid_from
FROM read_csv($dir || '/gl_store_dimensions.csv', header = true, columns = {
    'store_id': 'VARCHAR', 'dimension': 'VARCHAR', 'value': 'VARCHAR', 'valid_from': 'DATE'});

CREATE OR REPLACE TABLE ref.gl_posting_rules AS
SELECT lower(trim(posting_kind)) AS posting_kind,
       upper(replace(trim(match_value), ' ', '_')) AS match_value,
       trim(main_account) AS main_account, lower(trim(dimensions)) AS dimensions, description,
       valid_from
FROM read_csv($dir || '/gl_posting_rules.csv', header = true, columns = {
    'posting_kind': 'VARCHAR', 'match_value': 'VARCHAR', 'main_account': 'VARCHAR',
    'dimensions': 'VARCHAR', 'description': 'VARCHAR', 'valid_from': 'DATE'});
