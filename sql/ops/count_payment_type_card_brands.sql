-- What the data says about an unmapped Retail payment type ($name): its tenders, by the card brand
-- of the gateway transaction each names (NULL: none, so not a card taken through the gateway).
SELECT p.card_brand, count(*) AS tenders
FROM canonical.pos_tenders AS t
LEFT JOIN canonical.payments AS p ON p.transaction_id = t.gateway_transaction_id
WHERE t.mapping_issue LIKE '%unmapped_payment_type: Retail payment type "' || $name || '" %'
GROUP BY ALL
ORDER BY tenders DESC, p.card_brand NULLS LAST
