-- What the data says about an unmapped card brand ($brand): its gateway transactions, by the D365
-- payment method of the POS tender that names each one (NULL: no tender, or an unmapped one).
SELECT t.payment_method_code, count(*) AS transactions
FROM canonical.payments AS p
LEFT JOIN canonical.pos_tenders AS t ON t.gateway_transaction_id = p.transaction_id
WHERE upper(replace(trim(p.card_brand), ' ', '_')) = upper(replace(trim($brand), ' ', '_'))
  AND p.mapping_issue LIKE '%unmapped_payment_method%'
GROUP BY ALL
ORDER BY transactions DESC, t.payment_method_code NULLS LAST
