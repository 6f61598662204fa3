-- The demo's open exceptions about order payments, by kind.
SELECT kind, count(*) AS open_exceptions
FROM recon.exceptions
WHERE status = 'open' AND (kind LIKE 'order\_payment\_%' ESCAPE '\' OR kind = 'payment_for_unknown_order')
GROUP BY kind
ORDER BY kind;
