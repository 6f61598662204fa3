-- Every main account and dimension value the finance-owned mapping files post to, and whether
-- D365 holds it, as the mappings_exist_in_d365 check last found. The poster reads it: journals
-- post only when every row exists in D365 and mappings_sha256 is that of the files in use.
CREATE TABLE IF NOT EXISTS ops.d365_mapping_validation (
    checked_at          TIMESTAMPTZ NOT NULL,
    kind                VARCHAR NOT NULL,
    dimension           VARCHAR,
    value               VARCHAR NOT NULL,
    referenced_by       VARCHAR NOT NULL,
    exists_in_d365      BOOLEAN NOT NULL,
    d365_pulled_at      TIMESTAMPTZ,
    mappings_sha256     VARCHAR NOT NULL
);
COMMENT ON TABLE ops.d365_mapping_validation IS 'The GL mapping checked against D365 (raw.d365_main_accounts, raw.d365_dimension_values) by mappings_exist_in_d365, as last evaluated. Post only when every exists_in_d365 is true.';
COMMENT ON COLUMN ops.d365_mapping_validation.checked_at IS 'When the check ran.';
COMMENT ON COLUMN ops.d365_mapping_validation.kind IS 'main_account or dimension_value.';
COMMENT ON COLUMN ops.d365_mapping_validation.dimension IS 'Financial dimension of a dimension value (BusinessUnit, Department); empty for main accounts.';
COMMENT ON COLUMN ops.d365_mapping_validation.value IS 'The main account number or dimension value the mappings use.';
COMMENT ON COLUMN ops.d365_mapping_validation.referenced_by IS 'Mapping files that use it (gl_main_accounts.csv, gl_posting_rules.csv, gl_dimension_values.csv, gl_store_dimensions.csv, gl_payroll_posting_rules.csv, payroll_departments.csv).';
COMMENT ON COLUMN ops.d365_mapping_validation.exists_in_d365 IS 'True when D365 holds it: the main account in chart Shared, the value for its dimension (shared or for a legal entity).';
COMMENT ON COLUMN ops.d365_mapping_validation.d365_pulled_at IS 'When the D365 data it was compared with was pulled (raw.d365_*.pulled_at); empty when nothing was pulled yet.';
COMMENT ON COLUMN ops.d365_mapping_validation.mappings_sha256 IS 'Fingerprint of the mapping files checked (as recorded on canonical materialisations).';
