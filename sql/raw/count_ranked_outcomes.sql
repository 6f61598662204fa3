-- Whether the load being written has rejected lines and redeliveries (raw_loader.py runs the
-- quarantine and duplicate inserts only then): a rejected line is judged so, and a duplicate is
-- a ranked redelivery, so an empty judged set or an empty redeliveries table means none.
SELECT
    EXISTS (SELECT 1 FROM judged_events WHERE reject_reason IS NOT NULL) AS rejected,
    EXISTS (SELECT 1 FROM redeliveries) AS redelivered
