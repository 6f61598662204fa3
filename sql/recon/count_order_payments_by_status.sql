-- recon.order_payments rows of $first..$last per status, for materialisation metadata.
SELECT status, count(*) FROM recon.order_payments
WHERE business_date BETWEEN $first AND $last GROUP BY ALL ORDER BY ALL
