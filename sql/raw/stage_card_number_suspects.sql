-- The card-number screen (sql/macros/card_numbers.sql) of the lines being loaded, every field
-- alike: a line holding a PAN gets its quarantine reason here, with the PANs masked.
-- Exactly has_card_number(line) per line, but the Luhn and issuer test runs once per DISTINCT
-- run rather than once per line: a file's lines repeat the same runs (every payroll register
-- line carries its pay run id, a 16-digit candidate), and card_number_run_may_be_pan() depends
-- on the run alone and is necessary for it to be a PAN anywhere. Only a line holding a run that
-- passes it gets the full per-line test, with the runs' contexts (hl_d365_assets_tests/
-- test_card_number_screen.py pins the equivalence). Materialised once, like the employee-data
-- screen; stage_screened_lines.sql joins it. $max_record_bytes: longer lines are quarantined as
-- oversized anyway, unscanned.
-- This file stages the suspect lines; stage_card_number_findings.sql tests them (or, when there
-- is none, stage_no_card_number_findings.sql stages the empty result without binding the
-- masking macros: ~20 ms of CPU a load, most of a small entity's screen).
-- One statement per step, on purpose: within one statement the optimiser pushes the tests'
-- filters under the DISTINCT and through the joins' keys (materialised CTEs included), back
-- onto every run or line.

-- The lines that may hold a PAN, with their text: the one pass of the candidate pattern over
-- every line, whose few hits (a thousand lines of the 1M payments day) are all the steps below
-- read again, instead of every staged line a second time (~1 s of CPU on that day).
CREATE OR REPLACE TEMP TABLE card_number_candidate_lines AS
SELECT segment_path, line_number, line
FROM landed_lines
WHERE valid_utf8 AND strlen(line) <= $max_record_bytes AND card_number_candidates(line);

CREATE OR REPLACE TEMP TABLE card_number_candidate_runs AS
SELECT segment_path, line_number, unnest(card_number_run_texts(line)) AS run
FROM card_number_candidate_lines;

CREATE OR REPLACE TEMP TABLE card_number_distinct_runs AS
SELECT DISTINCT run FROM card_number_candidate_runs;

CREATE OR REPLACE TEMP TABLE card_number_pan_shaped_runs AS
SELECT run FROM card_number_distinct_runs WHERE card_number_run_may_be_pan(run);

CREATE OR REPLACE TEMP TABLE card_number_suspect_lines AS
SELECT segment_path, line_number, line
FROM card_number_candidate_lines
SEMI JOIN (
    SELECT segment_path, line_number
    FROM card_number_candidate_runs
    SEMI JOIN card_number_pan_shaped_runs USING (run)
) AS lines_with_pan_shaped_runs USING (segment_path, line_number);

DROP TABLE card_number_candidate_lines;
DROP TABLE card_number_candidate_runs;
DROP TABLE card_number_distinct_runs;
DROP TABLE card_number_pan_shaped_runs;
