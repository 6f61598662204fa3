-- Lines of superseded files of the pay runs being built (stage_current_payroll_lines.sql): the
-- older versions of runs a corrected file replaced, for the assets' metadata. Also the runs
-- that were corrected (received in more than one file).
SELECT coalesce(sum(superseded_lines), 0) AS superseded_lines,
       count(*) FILTER (files_received > 1) AS corrected_runs
FROM (SELECT DISTINCT run_key, superseded_lines, files_received FROM current_payroll_lines)
