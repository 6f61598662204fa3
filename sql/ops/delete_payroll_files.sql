-- Clear the run's days of ops.payroll_files before their manifest is read again. $first, $last.
DELETE FROM ops.payroll_files WHERE business_date BETWEEN $first AND $last;
