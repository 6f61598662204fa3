-- The employee-data screen of an entity that does not get it (the card, POS and D365 sources:
-- docs/payroll-intake.md): no findings, staged without binding the rules' macros at all.
CREATE OR REPLACE TEMP TABLE personal_data_findings (
    segment_path    VARCHAR,
    line_number     BIGINT,
    problem         VARCHAR
);
