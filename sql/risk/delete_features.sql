-- A features file writes its domain's days $first..$last: those rows go first, so a day scored
-- twice gives the same rows ($domain: payments, settlement, pos or payroll).
DELETE FROM risk.features WHERE business_date BETWEEN $first AND $last AND domain = $domain;
