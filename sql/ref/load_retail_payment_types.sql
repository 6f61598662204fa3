-- ref.retail_payment_types from mappings/retail_payment_types.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.retail_payment_types AS
SELECT upper(replace(trim(payment_type_name), ' ', '_')) AS payment_type_name,
       upper(replace(trim(tender_type), ' ', '_')) AS tender_type,
       nullif(upper(replace(trim(card_brand), ' ', '_')), '') AS card_brand,
       description, valid_from
FROM read_csv($dir || '/retail_payment_types.csv', header = true, columns = {
    'payment_type_name': 'VARCHAR', 'tender_type': 'VARCHAR', 'card_brand': 'VARCHAR',
    'description': 'VARCHAR', 'valid_from': 'DATE'});
COMMENT ON TABLE ref.retail_payment_types IS 'mappings/retail_payment_types.csv as loaded: Heartland Retail payment type names mapped to a tender type and, for cards, a card brand (then mapped to D365 by ref.payment_methods). A payment type missing here loads with a mapping_issue (unmapped_payment_type), never guessed.';
COMMENT ON COLUMN ref.retail_payment_types.payment_type_name IS 'The payment type name as Retail holds it (raw.retail_payment_types.name), upper case with spaces as underscores (VISA, GIFT_CARD).';
COMMENT ON COLUMN ref.retail_payment_types.tender_type IS 'CASH, CARD, GIFT_CARD or STORE_CREDIT: canonical.pos_tenders.tender_type.';
COMMENT ON COLUMN ref.retail_payment_types.card_brand IS 'For CARD rows the brand (VISA, MASTERCARD, AMEX, DISCOVER) as in mappings/payment_methods.csv; NULL otherwise.';
COMMENT ON COLUMN ref.retail_payment_types.description IS 'What the payment type is, for people.';
COMMENT ON COLUMN ref.retail_payment_types.valid_from IS 'Day the mapping took effect, as recorded in the file; lookups match on the name alone.';
