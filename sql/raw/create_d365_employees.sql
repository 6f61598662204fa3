-- D365 EmployeesV2: the employments of workers, every legal entity. Pulled in full each time
-- (no modification timestamp; one row per employment). Only the employment's keys, dates and
-- default dimensions are selected: names, contact details and birth dates, which the entity
-- also holds, are never asked for, so they never reach the landing zone or the warehouse.
CREATE TABLE IF NOT EXISTS raw.d365_employees (
    PersonnelNumber          VARCHAR NOT NULL,
    EmploymentLegalEntityId  VARCHAR NOT NULL,
    EmploymentId             VARCHAR NOT NULL,
    EmploymentStartDate      TIMESTAMPTZ,
    EmploymentEndDate        TIMESTAMPTZ,
    TerminationDate          TIMESTAMPTZ,
    DimensionDisplayValue    VARCHAR,
    pulled_at                TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (PersonnelNumber, EmploymentLegalEntityId, EmploymentId)
);
COMMENT ON TABLE raw.d365_employees IS 'D365 EmployeesV2 (employments, all legal entities), replaced by each full pull. Numbers, dates and default dimensions only: no names, contact details or birth dates. canonical.employees reads it.';
COMMENT ON COLUMN raw.d365_employees.PersonnelNumber IS 'Worker''s personnel number: the Heartland employee (file) number. Key with EmploymentLegalEntityId and EmploymentId.';
COMMENT ON COLUMN raw.d365_employees.EmploymentLegalEntityId IS 'Legal entity (dataAreaId) of the employment.';
COMMENT ON COLUMN raw.d365_employees.EmploymentId IS 'The employment''s id (a worker rehired has two).';
COMMENT ON COLUMN raw.d365_employees.EmploymentStartDate IS 'Start of the employment.';
COMMENT ON COLUMN raw.d365_employees.EmploymentEndDate IS 'End of the employment; D365''s never-ending date (2154-12-31) when open.';
COMMENT ON COLUMN raw.d365_employees.TerminationDate IS 'Termination date; D365''s empty date (1900-01-01) when not terminated.';
COMMENT ON COLUMN raw.d365_employees.DimensionDisplayValue IS 'Default financial dimensions of the employment, segments in the order of mappings/gl_account_structure.csv after the main account (001-SALES: BusinessUnit-Department).';
COMMENT ON COLUMN raw.d365_employees.pulled_at IS 'When the pull that wrote this row started (UTC).';
