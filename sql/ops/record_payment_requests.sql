-- Record the staged new_payment_requests before anything is sent.
INSERT INTO ops.payment_requests BY NAME
SELECT *, 'recorded' AS status, 0 AS attempts
FROM new_payment_requests
