-- no_barcode_claimed_twice: rows of canonical.products held out of matching by a barcode two
-- D365 SKUs or two Retail items claim, and how many such barcodes recon.exceptions lists.
SELECT
    (SELECT count(*) FROM canonical.products WHERE match_status = 'ambiguous_barcode') AS rows_held_out,
    (SELECT count(*) FROM recon.exceptions WHERE kind = 'product_barcode_ambiguous' AND still_detected) AS ambiguous_barcodes;
