"""Heartland Retail (POS): the REST client, and the pull that lands its records."""
