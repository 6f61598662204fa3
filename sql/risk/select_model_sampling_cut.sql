-- The largest sampling key any sampled group keeps (stage_model_sampling.sql): every window row of
-- a group trained on a share under 1 has a key under it. Passed to stage_model_training.sql as a
-- constant, so the scan of the window skips the other rows before they are joined to a group.
-- An integer: a key is under a share x 1,000,000 exactly when it is under its ceiling.
SELECT CAST(coalesce(ceil(max(fraction * 1000000) FILTER (WHERE fraction < 1)), 0) AS INTEGER)
FROM risk_model_sampling
