SELECT currency, measure, amount
FROM (
    SELECT currency, sum(net_amount) AS net, sum(fees_amount) AS fees, sum(deposit_amount) AS deposit
    FROM canonical.settlement_batches
    WHERE business_date BETWEEN $first AND $last
    GROUP BY ALL
) UNPIVOT (amount FOR measure IN (net, fees, deposit))
ORDER BY ALL
