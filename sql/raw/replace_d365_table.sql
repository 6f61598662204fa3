-- A full pull: the table becomes exactly what D365 holds now (records deleted in D365 go).
-- $pulled_at: when the pull started.
DELETE FROM raw.{table};
INSERT INTO raw.{table} BY NAME
SELECT *, $pulled_at AS pulled_at FROM {staged};
