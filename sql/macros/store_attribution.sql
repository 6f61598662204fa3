-- Which store a gateway record (transaction or batch) belongs to, and why none when none.
-- GP-API rows carry the merchant id (MER_…) and a site_reference; several stores may trade under
-- one merchant id. A site_reference names the store, and must be a store of that merchant in
-- mappings/stores.csv: an unknown one attributes the record to no store, never silently to
-- another store of the same merchant. Without a site_reference, only a merchant id with exactly
-- one store says which store it was. The canonical insert_*.sql files count each merchant's
-- stores (merchant_store_count) and find the store; this names the problem.
CREATE OR REPLACE MACRO unknown_store_problem(store_id, merchant_id, site_reference, merchant_store_count) AS
    CASE
        WHEN store_id IS NOT NULL THEN NULL
        WHEN coalesce(merchant_store_count, 0) = 0
            THEN 'unknown_store: merchant_id "' || coalesce(merchant_id, '') || '" is not in mappings/stores.csv'
        WHEN coalesce(site_reference, '') <> ''
            THEN 'unknown_store: site_reference "' || site_reference || '" is not a store of merchant_id "'
                 || merchant_id || '" in mappings/stores.csv'
        ELSE 'unknown_store: merchant_id "' || merchant_id || '" has ' || merchant_store_count
             || ' stores in mappings/stores.csv and the record names none (no site_reference)'
    END;
