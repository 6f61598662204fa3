-- D365 FinancialDimensionValues: the values each financial dimension (BusinessUnit, Department...)
-- may take. Pulled in full each time (no modification timestamp; small).
CREATE TABLE IF NOT EXISTS raw.d365_dimension_values (
    FinancialDimension  VARCHAR NOT NULL,
    LegalEntityId       VARCHAR NOT NULL,
    DimensionValue      VARCHAR NOT NULL,
    Description         VARCHAR,
    pulled_at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (FinancialDimension, LegalEntityId, DimensionValue)
);
COMMENT ON TABLE raw.d365_dimension_values IS 'D365 FinancialDimensionValues, replaced by each full pull. The mapping check compares mappings/gl_dimension_values.csv and gl_store_dimensions.csv against it.';
COMMENT ON COLUMN raw.d365_dimension_values.FinancialDimension IS 'Dimension name (BusinessUnit, Department, ...).';
COMMENT ON COLUMN raw.d365_dimension_values.LegalEntityId IS 'Legal entity the value is restricted to; empty for a value shared by all legal entities.';
COMMENT ON COLUMN raw.d365_dimension_values.DimensionValue IS 'The value, as it appears in an AccountDisplayValue segment (001, RETAIL).';
COMMENT ON COLUMN raw.d365_dimension_values.Description IS 'Description as D365 shows it.';
COMMENT ON COLUMN raw.d365_dimension_values.pulled_at IS 'When the pull that wrote this row started (UTC).';
