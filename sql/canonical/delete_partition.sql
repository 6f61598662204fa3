-- Remove business days $first..$last from one canonical table before they are rebuilt.
DELETE FROM canonical.{table} WHERE business_date BETWEEN $first AND $last;
