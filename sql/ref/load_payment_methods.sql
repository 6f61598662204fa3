-- ref.payment_methods from mappings/payment_methods.csv ($dir: the mappings folder), and the one
-- lookup every reader of it uses, mapped_payment_method(): which D365 payment method a card brand
-- or tender type of a store's record on a business day maps to. A row naming the store wins over
-- the all-stores rows (store_id blank, or *); within each, the newest valid_from on or before the
-- day. Created here, not with the other macros, because DuckDB binds a macro's table when the
-- macro is created.
CREATE OR REPLACE TABLE ref.payment_methods AS
SELECT source_field, upper(replace(trim(source_value), ' ', '_')) AS source_value,
       payment_method_code, description, valid_from,
       nullif(nullif(trim(store_id), ''), '*') AS store_id
FROM read_csv($dir || '/payment_methods.csv', header = true, columns = {
    'source_field': 'VARCHAR', 'source_value': 'VARCHAR', 'payment_method_code': 'VARCHAR',
    'description': 'VARCHAR', 'valid_from': 'DATE', 'store_id': 'VARCHAR'});
COMMENT ON TABLE ref.payment_methods IS 'mappings/payment_methods.csv as loaded: Heartland card brands and POS tender types mapped to D365 payment method codes, for every store or for one store. A record maps through mapped_payment_method(field, value, store, day): the store''s own row on the day before the all-stores row, the newest valid_from on or before the day within each. A value no row maps loads with a mapping_issue and fails the mappings_complete check.';
COMMENT ON COLUMN ref.payment_methods.source_field IS 'Which source value is mapped: card_brand (gateway and settlement brands, card tenders) or tender_type (non-card POS tenders).';
COMMENT ON COLUMN ref.payment_methods.source_value IS 'The value as sources send it, upper case with spaces as underscores (VISA, GIFT_CARD).';
COMMENT ON COLUMN ref.payment_methods.payment_method_code IS 'D365 payment method code (VISA, MC, CASH); also the match_value of the tender, settlement and merchant_fees posting rules.';
COMMENT ON COLUMN ref.payment_methods.description IS 'What the payment method is, for people.';
COMMENT ON COLUMN ref.payment_methods.valid_from IS 'First business day the row applies; a later row of the same value and store scope takes over from its own valid_from.';
COMMENT ON COLUMN ref.payment_methods.store_id IS 'The store (mappings/stores.csv) the row is for, its override of the all-stores row (written by a store''s onboarding YAML); NULL: every store (blank or * in the file).';

-- Two rows of one value, store scope and valid_from naming different methods: which applies cannot
-- be decided, so the load refuses the file, naming them, instead of picking one.
SELECT error('mappings/payment_methods.csv maps ' || source_field || ' ' || source_value
             || coalesce(' for store ' || store_id, ' for every store') || ' from '
             || CAST(valid_from AS VARCHAR) || ' to more than one payment method ('
             || string_agg(DISTINCT payment_method_code, ', ' ORDER BY payment_method_code)
             || '): keep one of the rows')
FROM ref.payment_methods
GROUP BY source_field, source_value, store_id, valid_from
HAVING count(DISTINCT payment_method_code) > 1;

CREATE OR REPLACE MACRO mapped_payment_method(of_field, of_value, of_store, on_day) AS (
    SELECT arg_max(pm.payment_method_code, (pm.store_id IS NOT NULL, pm.valid_from))
    FROM ref.payment_methods AS pm
    WHERE pm.source_field = of_field
      AND pm.source_value = upper(replace(trim(of_value), ' ', '_'))
      AND pm.valid_from <= on_day
      AND (pm.store_id IS NULL OR pm.store_id = of_store)
);
