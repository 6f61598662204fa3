-- One payment request about to leave (or to be looked up): counted and stamped before the call.
UPDATE ops.payment_requests
SET status = 'sent', sent_at = $now, attempts = attempts + $sending,
    payment_method_id = coalesce($payment_method_id, payment_method_id),
    payer_email_masked = coalesce($payer_email_masked, payer_email_masked)
WHERE request_id = $request_id
