"""Payment requests of D365 sales orders in Heartland: a payment link or a stored-card charge per
confirmed card order, each sent exactly once (``requester.py``; what GP is sent: ``gp_bodies.py``)."""
