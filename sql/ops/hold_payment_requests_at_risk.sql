-- The requests risk_held_payment_requests keeps back say why (they stay recorded or waiting and
-- go with the first run after the review).
UPDATE ops.payment_requests AS p
SET last_error = 'held for risk review: open risk alert(s) ' || array_to_string(h.alert_ids[1:5], ', ')
                 || ' on the customer or card (recon.exceptions, kind risk_*)'
FROM risk_held_payment_requests AS h
WHERE p.request_id = h.request_id;
