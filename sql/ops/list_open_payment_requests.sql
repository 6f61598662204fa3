-- Payment requests still waiting for their outcome: sent (or sent with the answer unknown) and
-- no capture of their order landed yet. Links are polled until a day past their expiry, so a
-- payment made in the last minutes before it is still found. One row per order: the poll asks GP
-- by the order number, which every request of that order shares.
SELECT r.legal_entity, r.sales_order_number, min(coalesce(r.sent_at, r.recorded_at)) AS since
FROM ops.payment_requests AS r
WHERE r.status IN ('sent', 'created', 'unknown', 'waiting')
  AND r.sales_order_number IS NOT NULL
  AND (r.expires_at IS NULL OR r.expires_at > now() - INTERVAL 1 DAY)
  AND NOT EXISTS (
      SELECT 1 FROM raw.payment_notifications AS n
      WHERE n.order_reference = r.sales_order_number AND n.type = 'SALE'
        AND n.status IN ('CAPTURED', 'BATCHED', 'FUNDED'))
GROUP BY ALL
ORDER BY since, r.legal_entity, r.sales_order_number
