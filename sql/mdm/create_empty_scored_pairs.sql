-- Fewer than two records to score: no model, no scored pairs (the review queue is left as is).
CREATE OR REPLACE TEMP TABLE customer_scored_pairs (
    record_key_l VARCHAR, record_key_r VARCHAR, match_probability DOUBLE, match_weight DOUBLE,
    two_d365_accounts BOOLEAN, first_names_differ BOOLEAN,
    last_names_differ BOOLEAN, reasons VARCHAR
);
