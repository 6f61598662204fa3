-- ref.card_fee_contracts from mappings/card_fee_contracts.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.card_fee_contracts AS
SELECT upper(replace(trim(card_brand), ' ', '_')) AS card_brand, percentage_rate, fee_per_sale, valid_from
FROM read_csv($dir || '/card_fee_contracts.csv', header = true, columns = {
    'card_brand': 'VARCHAR', 'percentage_rate': 'DECIMAL(9,6)', 'fee_per_sale': 'DECIMAL(18,2)',
    'valid_from': 'DATE'});
COMMENT ON TABLE ref.card_fee_contracts IS 'mappings/card_fee_contracts.csv as loaded: the processing fee the acquirer contracted per card brand; risk scoring compares each settlement batch''s fees by brand with it (fee_above_contract, docs/risk-features-payments.md).';
COMMENT ON COLUMN ref.card_fee_contracts.card_brand IS 'Card brand as Heartland reports it (VISA), upper case.';
COMMENT ON COLUMN ref.card_fee_contracts.percentage_rate IS 'Fee as a fraction of the brand''s captured sales in a batch (0.018 = 1.80 %), rounded half up to the cent once per batch and brand.';
COMMENT ON COLUMN ref.card_fee_contracts.fee_per_sale IS 'Fixed fee per captured sale, in the batch''s currency (refunds carry none).';
COMMENT ON COLUMN ref.card_fee_contracts.valid_from IS 'Day the rate took effect; a batch uses the newest row on or before its business day.';
