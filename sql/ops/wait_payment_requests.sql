-- GP-API is unavailable: the run's requests not sent yet ($ids) wait for the next run. A request
-- that may have reached GP (sent, unknown) keeps its status: it is looked up before any re-send.
UPDATE ops.payment_requests
SET status = 'waiting', last_error = $error
WHERE list_contains($ids, request_id) AND status IN ('recorded', 'waiting')
