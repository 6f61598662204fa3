-- Checks that need no schema: size, JSON well-formedness and card numbers (PCI DSS).
-- The whole line is scanned, every field alike: no field is exempt (docs/security.md).
-- The card-number screen itself is staged by raw_loader.stage_card_number_findings (each
-- distinct candidate run tested once).
-- Payroll and bank lines are also scanned for employee data (stage_personal_data_findings.sql).
-- A view: the loader reads it once, while ranking; nothing is copied here.
-- $max_record_bytes: larger lines are quarantined without being parsed (a variable, since views
-- take no parameters).
SET VARIABLE max_record_bytes = $max_record_bytes;

CREATE OR REPLACE TEMP VIEW screened_lines AS
SELECT
    segment_path,
    business_date,
    line_number,
    line,
    CASE
        WHEN NOT valid_utf8
            THEN 'invalid_encoding: line is not valid UTF-8 (bad bytes shown as \xNN)'
        WHEN strlen(line) > getvariable('max_record_bytes')
            THEN 'oversized_record: ' || strlen(line) || ' bytes, limit ' || getvariable('max_record_bytes')
        WHEN NOT json_valid(line)
            THEN 'malformed_json: line is not a complete JSON object'
        WHEN cards.problem IS NOT NULL THEN cards.problem
        WHEN personal.problem IS NOT NULL THEN personal.problem
    END AS screen_problem
FROM landed_lines
LEFT JOIN card_number_findings AS cards USING (segment_path, line_number)
LEFT JOIN personal_data_findings AS personal USING (segment_path, line_number);
