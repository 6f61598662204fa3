-- {table}: an empty listing, what the simulator serves before any day has landed.
CREATE OR REPLACE TABLE {table} (
    id VARCHAR, time_created TIMESTAMPTZ, created_date DATE, type VARCHAR, status VARCHAR,
    payload VARCHAR
)
