-- The D365 SKUs a Heartland Retail item ($item_id) the product match left unmatched could be,
-- for the mapping co-pilot: the SKUs without variants that no Retail item holds
-- (unmatched_d365; mappings/product_matches.csv names an item number, which a variant shares
-- with its master), shortlisted by how alike the item numbers and the names read (Jaro-Winkler
-- on upper case), best $shortlist first. The co-pilot ranks the shortlist with its own scores;
-- the shortlist only keeps a large catalogue from being scored whole for each item. One row with
-- no SKU when there is none: the item's own texts are still read.
WITH item AS (
    SELECT retail_public_id, retail_description
    FROM canonical.products
    WHERE match_status = 'unmatched_retail' AND retail_item_id = $item_id
)
SELECT i.retail_public_id, coalesce(i.retail_description, '') AS retail_description,
       p.item_number, coalesce(p.product_name, '') AS product_name
FROM item AS i
LEFT JOIN canonical.products AS p
  ON p.match_status = 'unmatched_d365' AND p.product_subtype <> 'ProductVariant'
ORDER BY greatest(
             jaro_winkler_similarity(upper(p.item_number), upper(coalesce(i.retail_public_id, ''))),
             jaro_winkler_similarity(upper(coalesce(p.product_name, '')), upper(coalesce(i.retail_description, '')))
         ) DESC NULLS LAST,
         p.item_number
LIMIT $shortlist
