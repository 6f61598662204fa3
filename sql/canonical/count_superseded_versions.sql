-- Ticket versions of $first..$last replaced by a later version of the same ticket (Retail: edited
-- after it was pulled): the asset's superseded_versions metadata.
SELECT coalesce(sum(superseded_versions), 0) FROM canonical.pos_sales
WHERE business_date BETWEEN $first AND $last
