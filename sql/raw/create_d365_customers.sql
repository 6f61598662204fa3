-- D365 CustomersV3 of every legal entity. Pulled in full each time: the entity exposes no
-- modification timestamp, so a changed or deleted customer is only seen by reading them all.
CREATE TABLE IF NOT EXISTS raw.d365_customers (
    dataAreaId              VARCHAR NOT NULL,
    CustomerAccount         VARCHAR NOT NULL,
    OrganizationName        VARCHAR,
    NameAlias               VARCHAR,
    PartyType               VARCHAR,
    CustomerGroupId         VARCHAR,
    SalesCurrencyCode       VARCHAR,
    PaymentTerms            VARCHAR,
    CreditLimit             DECIMAL(18,2),
    AddressCity             VARCHAR,
    AddressState            VARCHAR,
    AddressCountryRegionId  VARCHAR,
    PrimaryContactEmail     VARCHAR,
    pulled_at               TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (dataAreaId, CustomerAccount)
);
COMMENT ON TABLE raw.d365_customers IS 'D365 CustomersV3, all legal entities, replaced by each full pull (no modification timestamp to pull changes by): a customer deleted in D365 disappears here.';
COMMENT ON COLUMN raw.d365_customers.dataAreaId IS 'Legal entity (company), lower case. Key with CustomerAccount.';
COMMENT ON COLUMN raw.d365_customers.CustomerAccount IS 'Customer account number (US-001).';
COMMENT ON COLUMN raw.d365_customers.OrganizationName IS 'Customer name.';
COMMENT ON COLUMN raw.d365_customers.NameAlias IS 'Search name.';
COMMENT ON COLUMN raw.d365_customers.PartyType IS 'Organization or Person.';
COMMENT ON COLUMN raw.d365_customers.CustomerGroupId IS 'Customer group.';
COMMENT ON COLUMN raw.d365_customers.SalesCurrencyCode IS 'Currency the customer is invoiced in.';
COMMENT ON COLUMN raw.d365_customers.PaymentTerms IS 'Terms of payment (Net30).';
COMMENT ON COLUMN raw.d365_customers.CreditLimit IS 'Credit limit in the accounting currency, exact decimal.';
COMMENT ON COLUMN raw.d365_customers.AddressCity IS 'Primary address city.';
COMMENT ON COLUMN raw.d365_customers.AddressState IS 'Primary address state or province.';
COMMENT ON COLUMN raw.d365_customers.AddressCountryRegionId IS 'Primary address country (ISO alpha-3, as D365).';
COMMENT ON COLUMN raw.d365_customers.PrimaryContactEmail IS 'Primary contact e-mail.';
COMMENT ON COLUMN raw.d365_customers.pulled_at IS 'When the pull that wrote this row started (UTC).';
-- Street, ZIP, phone and a person's name parts, for matching customers across systems (issue 15,
-- docs/customers.md). Added columns, so a warehouse made before them gains them too; the pull's
-- $select is this table's columns.
ALTER TABLE raw.d365_customers ADD COLUMN IF NOT EXISTS AddressStreet VARCHAR;
ALTER TABLE raw.d365_customers ADD COLUMN IF NOT EXISTS AddressZipCode VARCHAR;
ALTER TABLE raw.d365_customers ADD COLUMN IF NOT EXISTS PrimaryContactPhone VARCHAR;
ALTER TABLE raw.d365_customers ADD COLUMN IF NOT EXISTS PersonFirstName VARCHAR;
ALTER TABLE raw.d365_customers ADD COLUMN IF NOT EXISTS PersonLastName VARCHAR;
COMMENT ON COLUMN raw.d365_customers.AddressStreet IS 'Primary address street line(s).';
COMMENT ON COLUMN raw.d365_customers.AddressZipCode IS 'Primary address ZIP or postal code.';
COMMENT ON COLUMN raw.d365_customers.PrimaryContactPhone IS 'Primary contact phone as typed in D365.';
COMMENT ON COLUMN raw.d365_customers.PersonFirstName IS 'First name of a Person party (empty for an Organization).';
COMMENT ON COLUMN raw.d365_customers.PersonLastName IS 'Last name of a Person party (empty for an Organization).';
