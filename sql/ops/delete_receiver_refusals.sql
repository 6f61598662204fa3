-- Clear the run's days of ops.receiver_refusals before they are read again. $first, $last.
DELETE FROM ops.receiver_refusals WHERE business_date BETWEEN $first AND $last;
