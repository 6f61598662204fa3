-- Which mapping files the ref.* tables were last loaded from: a step that needs the mappings
-- reloads them only when this digest differs (ref_tables.load_mappings). Replaced, never grown.
CREATE TABLE IF NOT EXISTS ops.ref_state (
    mappings_sha256  VARCHAR
);
COMMENT ON TABLE ops.ref_state IS 'Pipeline bookkeeping, one row: which mapping files (folder, contents) and which sql/ref loaders the ref.* tables hold. Nothing for analysts.';
COMMENT ON COLUMN ops.ref_state.mappings_sha256 IS 'SHA-256 of the mappings folder path, every *.csv in it (name and bytes), the sql/ref load files and the warehouse DDL digest; a step that computes another reloads every ref.* table.';
