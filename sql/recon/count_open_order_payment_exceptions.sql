-- Open order-payment exceptions per kind (every day: they are per order, not per day).
SELECT kind, count(*) FROM recon.exceptions
WHERE status = 'open' AND kind IN ('payment_for_unknown_order', 'order_payment_over',
    'order_payment_under', 'order_payment_declined', 'order_payment_link_expired')
GROUP BY ALL ORDER BY ALL
