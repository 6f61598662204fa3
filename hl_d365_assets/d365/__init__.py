"""Microsoft Dynamics 365 Finance: the OData client (client.py), its Entra ID tokens (auth.py),
errors (errors.py), the wire format (batch.py) and the simulator (simulator/)."""
