"""Heartland payments, POS and settlement data to Microsoft Dynamics 365 Finance, as Dagster assets."""
