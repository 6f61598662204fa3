-- The lines of the pay runs' journals of a check date, as the demo's payroll act prints them.
SELECT journal_key, line_number, account_display_value, debit_amount, credit_amount, text
FROM gl.payroll_journal_lines
WHERE business_date = $day
ORDER BY journal_key, line_number
