"""Risk: anomaly and fraud detection over the canonical layer (issue 18, docs/risk.md).

Per business day, each domain's SQL (``sql/risk/features_<domain>.sql``) writes features of the
entities it scores into ``risk.features``; the rules of ``mappings/risk_rules.csv`` and an
unsupervised model trained on the trailing window score them into ``risk.scores``; scores above
the threshold become ``risk.alerts`` and ``recon.exceptions`` of kind ``risk_<pattern>``.
"""
