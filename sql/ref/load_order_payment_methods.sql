-- ref.order_payment_methods from mappings/order_payment_methods.csv ($dir): which Heartland
-- payment request a D365 sales order gets, by its method of payment and, optionally, its legal
-- entity and invoice customer. A row naming the customer wins over one for every customer ('*'
-- or empty); an order whose method of payment has no row gets no request. Stored-credential
-- fields default to a merchant-initiated, unscheduled, subsequent card-on-file charge (the
-- reference's suggestion; GP's required combination is UNCONFIRMED).
CREATE OR REPLACE TABLE ref.order_payment_methods AS
SELECT
    lower(coalesce(nullif(trim(legal_entity), ''), '*')) AS legal_entity,
    upper(replace(trim(payment_method_name), ' ', '_')) AS payment_method_name,
    coalesce(nullif(upper(trim(customer_account)), ''), '*') AS customer_account,
    lower(trim(request)) AS request,
    coalesce(link_expiry_hours, 72) AS link_expiry_hours,
    upper(coalesce(nullif(trim(initiator), ''), 'MERCHANT')) AS initiator,
    upper(coalesce(nullif(trim(stored_credential_model), ''), 'UNSCHEDULED')) AS stored_credential_model,
    upper(coalesce(nullif(trim(stored_credential_sequence), ''), 'SUBSEQUENT')) AS stored_credential_sequence,
    note
FROM read_csv($dir || '/order_payment_methods.csv', header = true, columns = {
    'legal_entity': 'VARCHAR', 'payment_method_name': 'VARCHAR', 'customer_account': 'VARCHAR',
    'request': 'VARCHAR', 'link_expiry_hours': 'INTEGER', 'initiator': 'VARCHAR',
    'stored_credential_model': 'VARCHAR', 'stored_credential_sequence': 'VARCHAR',
    'note': 'VARCHAR'});
COMMENT ON TABLE ref.order_payment_methods IS 'mappings/order_payment_methods.csv as loaded: the Heartland payment request (link, stored_card, none) of a D365 sales order by method of payment, legal entity and invoice customer.';
COMMENT ON COLUMN ref.order_payment_methods.legal_entity IS 'D365 dataAreaId, lower case; * for every legal entity.';
COMMENT ON COLUMN ref.order_payment_methods.payment_method_name IS 'D365 CustomerPaymentMethodName of the order (CARD), upper case.';
COMMENT ON COLUMN ref.order_payment_methods.customer_account IS 'Invoice customer account the row is for; * for every customer (a customer''s own row wins).';
COMMENT ON COLUMN ref.order_payment_methods.request IS 'link (a GP-API payment link e-mailed to the customer), stored_card (a charge on the customer''s stored payment method) or none.';
COMMENT ON COLUMN ref.order_payment_methods.link_expiry_hours IS 'How long a link stays payable (its expiration_date), hours after it is recorded.';
COMMENT ON COLUMN ref.order_payment_methods.initiator IS 'Stored card: initiator sent to GP (MERCHANT or PAYER).';
COMMENT ON COLUMN ref.order_payment_methods.stored_credential_model IS 'Stored card: stored_credential.model (UNSCHEDULED by default).';
COMMENT ON COLUMN ref.order_payment_methods.stored_credential_sequence IS 'Stored card: stored_credential.sequence (SUBSEQUENT by default).';
COMMENT ON COLUMN ref.order_payment_methods.note IS 'Why it is set so.';
