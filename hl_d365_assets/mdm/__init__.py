"""Unified customer profiles (issue 15): standardised source records, matching, golden records.

``pipeline.run_customer_matching`` is the one entry point (the mdm/customers asset and the
benchmark call it); docs/customers.md says what the tables hold and how they are queried.
"""
