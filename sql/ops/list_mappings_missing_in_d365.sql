-- What the GL mapping posts to that D365 lacks, as the mappings_exist_in_d365 check last found
-- it (e.g. "main_account 618950", "dimension BusinessUnit=104"): while any is listed, none of
-- the day's general or customer payment journals is posted. A value only the payroll mapping
-- uses (gl_payroll_posting_rules.csv, payroll_departments.csv, besides the chart lists) is left
-- out: it holds only the payroll journals that post to it (gl.payroll_journal_checks).
SELECT kind || ' ' || coalesce(dimension || '=', '') || value AS missing
FROM ops.d365_mapping_validation
WHERE NOT exists_in_d365
  AND NOT (
      referenced_by LIKE '%payroll%'
      AND list_has_all(
          ['gl_main_accounts.csv', 'gl_dimension_values.csv', 'gl_payroll_posting_rules.csv',
           'payroll_departments.csv'],
          string_split(referenced_by, ', ')))
ORDER BY 1
