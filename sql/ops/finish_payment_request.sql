-- A payment request's outcome: GP's answer, or the look-up that found what an earlier attempt
-- made, or why it failed or waits.
UPDATE ops.payment_requests
SET status = $status,
    gp_id = coalesce($gp_id, gp_id),
    link_url = coalesce($link_url, link_url),
    payment_method_id = coalesce($payment_method_id, payment_method_id),
    answered_at = CASE WHEN $answered THEN $now ELSE answered_at END,
    last_error = $last_error
WHERE request_id = $request_id
