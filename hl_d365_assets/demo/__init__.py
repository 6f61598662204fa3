"""`make demo`: a sandbox week through a real Dagster instance; never imported by production code."""
