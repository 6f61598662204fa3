-- The employee-data screen (sql/macros/personal_numbers.sql) of the payroll and bank lines:
-- SSNs, routing and bank account numbers, dates of birth, each line whole, every field alike.
-- Materialised once here, so the rules' large expressions are bound once, not in every view
-- that reads the screen; stage_screened_lines.sql joins it. Other entities stage it empty
-- (stage_no_personal_data_findings.sql). $max_record_bytes: longer lines are quarantined as
-- oversized anyway, unscanned.
CREATE OR REPLACE TEMP TABLE personal_data_findings AS
WITH screened AS (
    SELECT segment_path, line_number, personal_data_screen_problem(line) AS problem
    FROM landed_lines
    WHERE valid_utf8 AND strlen(line) <= $max_record_bytes AND personal_data_candidates(line)
)
SELECT * FROM screened WHERE problem IS NOT NULL;
