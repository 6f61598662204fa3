-- Keys D365 holds more than one journal under (a session table, filled per read-back): each
-- becomes a gl_vs_d365_duplicate_journal exception.
CREATE OR REPLACE TEMP TABLE d365_duplicate_keys (
    idempotency_key VARCHAR,
    journals        BIGINT,
    numbers         VARCHAR
)
