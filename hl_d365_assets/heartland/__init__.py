"""Heartland (Global Payments GP-API): events, signatures, the REST client and its simulator."""
