-- What the mapping check compares against: the main accounts of the ledgers' chart of accounts
-- and the dimension values last pulled from D365. Zero means "pull D365 first", not "unmapped".
-- $chart: the chart of accounts the legal entities' ledgers use.
SELECT (SELECT count(*) FROM raw.d365_main_accounts
        WHERE lower(ChartOfAccounts) = lower($chart)) AS main_accounts,
       (SELECT count(*) FROM raw.d365_dimension_values) AS dimension_values;
