-- Orders whose Heartland and D365 statuses disagree now.
SELECT count(*) FROM recon.order_status_alignment
