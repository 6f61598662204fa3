-- An incremental pull of sales orders: every order the header pull fetched ({orders}) is
-- replaced here with what D365 sent — the header, or all of the order's lines (so a line
-- removed in D365 goes too). Orders not fetched keep their rows.
-- $pulled_at: when the pull started.
DELETE FROM raw.{table} AS held
WHERE EXISTS (
    SELECT 1 FROM {orders} AS fetched
    WHERE fetched.dataAreaId = held.dataAreaId AND fetched.SalesOrderNumber = held.SalesOrderNumber
);
INSERT INTO raw.{table} BY NAME
SELECT *, $pulled_at AS pulled_at FROM {staged};
