-- The D365 SKUs a Heartland Retail item ($item_id) the product match left unmatched could be,
-- for the mapping co-pilot: the SKUs without variants that no Retail item holds
-- (unmatched_d365; mappings/product_matches.csv names an item number, which a variant shares
-- with its master), best $shortlist first: a SKU whose item number holds the Item #'s number
-- (four digits or more), then by the words the product name and the description share, then by
-- how alike they read (Jaro-Winkler). Item numbers are not compared as text: numbers issued in
-- sequence read alike and would crowd the shortlist. The co-pilot ranks the shortlist with its
-- own scores; the shortlist only keeps a large catalogue from being scored whole for each item.
-- One row with no SKU when there is none: the item's own texts are still read.
WITH item AS (
    SELECT retail_public_id, coalesce(retail_description, '') AS retail_description,
           regexp_replace(coalesce(retail_public_id, ''), '[^0-9]', '', 'g') AS digits,
           regexp_split_to_array(upper(coalesce(retail_description, '')), '[^A-Z0-9]+') AS words
    FROM canonical.products
    WHERE match_status = 'unmatched_retail' AND retail_item_id = $item_id
)
SELECT i.retail_public_id, i.retail_description, p.item_number,
       coalesce(p.product_name, '') AS product_name
FROM item AS i
LEFT JOIN canonical.products AS p
  ON p.match_status = 'unmatched_d365' AND p.product_subtype <> 'ProductVariant'
ORDER BY (length(i.digits) >= 4 AND regexp_replace(p.item_number, '[^0-9]', '', 'g') = i.digits) DESC NULLS LAST,
         len(list_filter(list_intersect(regexp_split_to_array(upper(coalesce(p.product_name, '')), '[^A-Z0-9]+'), i.words), lambda w: w <> '')) DESC NULLS LAST,
         jaro_winkler_similarity(upper(coalesce(p.product_name, '')), upper(i.retail_description)) DESC NULLS LAST,
         p.item_number
LIMIT $shortlist
