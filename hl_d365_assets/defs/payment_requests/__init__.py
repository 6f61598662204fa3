"""Payment requests of D365 sales orders in Heartland (GP-API links and stored-card charges)."""
