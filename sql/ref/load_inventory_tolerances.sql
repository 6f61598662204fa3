-- ref.inventory_tolerances from mappings/inventory_tolerances.csv ($dir: the mappings folder), per
-- D365 legal entity: how many units Heartland Retail and D365 may disagree on an item at a
-- location (absolute_units + relative_fraction x |D365 quantity|) and still be matched, and
-- whether an order line asking more than is available warns or blocks.
CREATE OR REPLACE TABLE ref.inventory_tolerances AS
SELECT lower(legal_entity) AS legal_entity, absolute_units, relative_fraction,
       lower(order_stock_check) AS order_stock_check
FROM read_csv($dir || '/inventory_tolerances.csv', header = true, columns = {
    'legal_entity': 'VARCHAR', 'absolute_units': 'DECIMAL(18,4)', 'relative_fraction': 'DECIMAL(9,6)',
    'order_stock_check': 'VARCHAR'});
COMMENT ON TABLE ref.inventory_tolerances IS 'mappings/inventory_tolerances.csv as loaded: per legal entity, the stock comparison''s tolerance and what the order stock check does.';
COMMENT ON COLUMN ref.inventory_tolerances.legal_entity IS 'D365 legal entity (dataAreaId), lower case.';
COMMENT ON COLUMN ref.inventory_tolerances.absolute_units IS 'Units a quantity may differ (after the unposted POS sales are taken out) and still be matched (0: every unit counts).';
COMMENT ON COLUMN ref.inventory_tolerances.relative_fraction IS 'Proportional part of the tolerance, a fraction of the D365 quantity (0.01 = 1 unit in 100).';
COMMENT ON COLUMN ref.inventory_tolerances.order_stock_check IS 'warn or block: what the order_lines_within_available_stock check does when an open confirmed order line asks more than its warehouse has available.';
