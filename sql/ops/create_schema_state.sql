-- The digest of the DDL files the warehouse was last built with: ensure_schema() rebuilds the
-- catalog only when it changes. Created here (not by CREATE OR REPLACE ... AS) so its comments
-- stay; ensure_schema() replaces its one row.
CREATE TABLE IF NOT EXISTS ops.schema_state (
    ddl_sha256  VARCHAR
);
COMMENT ON TABLE ops.schema_state IS 'Pipeline bookkeeping, one row: which version of the sql/ table and view definitions this warehouse was built with. Nothing for analysts.';
COMMENT ON COLUMN ops.schema_state.ddl_sha256 IS 'SHA-256 of every DDL file (sql/macros, sql/<layer>/create_*.sql, sql/views) in run order; a step that finds another digest re-runs them.';
