-- ref.payment_methods from mappings/payment_methods.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.payment_methods AS
SELECT source_field, upper(replace(trim(source_value), ' ', '_')) AS source_value,
       payment_method_code, description, valid_from
FROM read_csv($dir || '/payment_methods.csv', header = true, columns = {
    'source_field': 'VARCHAR', 'source_value': 'VARCHAR', 'payment_method_code': 'VARCHAR',
    'description': 'VARCHAR', 'valid_from': 'DATE'});
COMMENT ON TABLE ref.payment_methods IS 'mappings/payment_methods.csv as loaded: Heartland card brands and POS tender types mapped to D365 payment method codes. A value missing here loads with a mapping_issue and fails the mappings_complete check.';
COMMENT ON COLUMN ref.payment_methods.source_field IS 'Which source value is mapped: card_brand (gateway and settlement brands, card tenders) or tender_type (non-card POS tenders).';
COMMENT ON COLUMN ref.payment_methods.source_value IS 'The value as sources send it, upper case with spaces as underscores (VISA, GIFT_CARD).';
COMMENT ON COLUMN ref.payment_methods.payment_method_code IS 'D365 payment method code (VISA, MC, CASH); also the match_value of the tender, settlement and merchant_fees posting rules.';
COMMENT ON COLUMN ref.payment_methods.description IS 'What the payment method is, for people.';
COMMENT ON COLUMN ref.payment_methods.valid_from IS 'Day the mapping took effect, as recorded in the file; lookups match on source_value alone, so keep one row per value.';
