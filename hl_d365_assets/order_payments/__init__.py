"""D365 sales orders paid through Heartland: what GP tells us about each order's payment.

``notifications.py`` says what a payment notification is (the GP-API transaction resource posted
to a link's ``status_url``) and the event it lands as; ``webhook/payment_notifications.py`` takes
it in; ``poll.py`` asks GP for the payments of open requests so a lost notification is caught;
``warehouse.py`` runs the SQL that turns them into ``canonical.order_payments``,
``recon.order_payments`` and their exceptions. docs/orders.md tells the story.
"""
