-- Open order-payment exceptions per kind ($kinds), every day: they are per order, not per day.
SELECT kind, count(*) FROM recon.exceptions
WHERE status = 'open' AND list_contains($kinds, kind)
GROUP BY ALL ORDER BY ALL
