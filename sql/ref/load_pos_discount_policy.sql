-- ref.pos_discount_policy from mappings/pos_discount_policy.csv ($dir: the mappings folder): the
-- largest share of a ticket's list value a cashier may give away as discount, per store ('*':
-- every store without its own row). Read by sql/risk/features_pos.sql.
CREATE OR REPLACE TABLE ref.pos_discount_policy AS
SELECT trim(store_id) AS store_id, max_discount_share, valid_from
FROM read_csv($dir || '/pos_discount_policy.csv', header = true, columns = {
    'store_id': 'VARCHAR', 'max_discount_share': 'DECIMAL(9,6)', 'valid_from': 'DATE'});
COMMENT ON TABLE ref.pos_discount_policy IS 'mappings/pos_discount_policy.csv as loaded: per store, the discount share of a ticket above which risk scoring flags it (discount_above_policy).';
COMMENT ON COLUMN ref.pos_discount_policy.store_id IS 'Store id (S001), or * for every store without its own row.';
COMMENT ON COLUMN ref.pos_discount_policy.max_discount_share IS 'Largest discount_total / subtotal of a sale ticket the policy allows (0.30 = 30 %).';
COMMENT ON COLUMN ref.pos_discount_policy.valid_from IS 'Day the row took effect; a day uses the newest row on or before it.';
