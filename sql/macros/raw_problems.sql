-- Schema problems every raw entity checks the same way, as '<reason_code>: <detail>' strings
-- (NULL when fine). The parse_<entity>.sql files list them first, then their own.
-- receiver_problem is set by a producer that accepted an event it must not load (the webhook
-- receiver's stale_event, outside its replay window); it is already '<reason_code>: <detail>'.
CREATE OR REPLACE MACRO envelope_problems(event_id, received_at, receiver_problem) AS [
    receiver_problem,
    CASE WHEN coalesce(event_id, '') = '' THEN 'missing_event_id: envelope has no event_id' END,
    CASE WHEN TRY_CAST(received_at AS TIMESTAMPTZ) IS NULL
         THEN 'invalid_timestamp: received_at ' || coalesce('"' || received_at || '"', 'is missing') END
];

CREATE OR REPLACE MACRO currency_problem(field, currency) AS
    CASE WHEN NOT regexp_full_match(coalesce(currency, ''), '[A-Z]{3}')
         THEN 'schema_violation: ' || field || ' ' || coalesce('"' || currency || '"', 'is missing')
              || ' is not an ISO 4217 code' END;

-- Exact money from a JSON number (docs/heartland_retail.md): parse_retail_*.sql read each amount
-- to diagnose twice, as DECIMAL(38, 10) (from_json parses the number's own digits, never a binary
-- float) and as text (only to tell "absent" from "present but not a number"); tickets do so only
-- for the ones a pass over their text flags (parse_retail_tickets.sql). A field is named, never its
-- value: a Retail record may carry personal data. fields: list of {field, amount, text, required}.
-- money_problem is one field's, NULL when fine: a parser with a fixed one or two amounts lists it
-- directly among its problems (parse_payroll_register.sql), which is the same as concatenating
-- money_problems([...]) but spares two list lambdas per line (about 0.15 s of CPU over a 295,667-
-- line register, measured).

-- One rule for both kinds of exact number: noun names the kind in the reason, places its
-- decimals (2 for money, 4 for quantities); the bound is what DECIMAL(18, places) holds.
CREATE OR REPLACE MACRO decimal_problem(field, amount, text, required, noun, places) AS
    CASE
        WHEN text IS NULL AND required THEN 'schema_violation: ' || field || ' is missing'
        WHEN text IS NOT NULL AND (amount IS NULL OR lower(text) IN ('true', 'false'))
            THEN 'invalid_' || noun || ': ' || field || ' is not a number'
        WHEN amount <> round(amount, places)
            THEN 'excess_precision: ' || field || ' has more than '
                || CASE places WHEN 2 THEN 'two' WHEN 4 THEN 'four' END || ' decimals'
        WHEN abs(amount) >= CASE places
                WHEN 2 THEN CAST('10000000000000000' AS DECIMAL(38, 0))
                WHEN 4 THEN CAST('100000000000000' AS DECIMAL(38, 0))
            END
            THEN 'invalid_' || noun || ': ' || field || ' does not fit DECIMAL(18, ' || places || ')'
    END;

CREATE OR REPLACE MACRO money_problem(field, amount, text, required) AS
    decimal_problem(field, amount, text, required, 'amount', 2);

CREATE OR REPLACE MACRO money_problems(fields) AS list_filter(list_transform(fields, lambda f:
    money_problem(f.field, f.amount, f.text, f.required)), lambda p: p IS NOT NULL);

-- The same for quantities (four decimals: Retail sells by weight or length as well as by unit).
CREATE OR REPLACE MACRO quantity_problem(field, amount, text, required) AS
    decimal_problem(field, amount, text, required, 'quantity', 4);

CREATE OR REPLACE MACRO quantity_problems(fields) AS list_filter(list_transform(fields, lambda f:
    quantity_problem(f.field, f.amount, f.text, f.required)), lambda p: p IS NOT NULL);

-- A wide parsed amount as DECIMAL(18, 2) when that is exact, else NULL (the record is then
-- quarantined by money_problems; the cast must not fail the whole load first).
CREATE OR REPLACE MACRO exact_money(amount) AS
    CASE WHEN amount = round(amount, 2) AND abs(amount) < CAST('10000000000000000' AS DECIMAL(38, 0))
         THEN CAST(amount AS DECIMAL(18, 2)) END;

CREATE OR REPLACE MACRO exact_quantity(amount) AS
    CASE WHEN amount = round(amount, 4) AND abs(amount) < CAST('100000000000000' AS DECIMAL(38, 0))
         THEN CAST(amount AS DECIMAL(18, 4)) END;

-- A Retail record's timestamp (ISO-8601 with offset) named when absent or unreadable; the value
-- is not echoed.
CREATE OR REPLACE MACRO retail_timestamp_problem(field, value, required) AS
    CASE WHEN value IS NULL AND required THEN 'schema_violation: ' || field || ' is missing'
         WHEN value IS NOT NULL AND TRY_CAST(value AS TIMESTAMPTZ) IS NULL
         THEN 'invalid_timestamp: ' || field || ' is not an ISO-8601 timestamp' END;

-- Payroll registers and bank statements (docs/payroll-intake.md): every value arrives as text.
CREATE OR REPLACE MACRO payroll_item_classes() AS
    ['EARNING', 'EE_TAX', 'ER_TAX', 'EE_DEDUCTION', 'ER_BENEFIT', 'NET_PAY', 'RUN_TOTAL'];

CREATE OR REPLACE MACRO payroll_check_types() AS ['regular', 'additional', 'manual', 'void'];

CREATE OR REPLACE MACRO payroll_run_total_codes() AS
    ['GROSS', 'EE_TAX', 'ER_TAX', 'EE_DEDUCTION', 'ER_BENEFIT', 'NET_PAY'];

CREATE OR REPLACE MACRO payroll_required_problem(field, value) AS
    CASE WHEN coalesce(trim(value), '') = '' THEN 'schema_violation: ' || field || ' is missing' END;

-- A date the file drop could not read with the mapping's format stays as the export wrote it
-- and is named here (not echoed).
CREATE OR REPLACE MACRO payroll_date_problem(field, value, required) AS
    CASE WHEN coalesce(trim(value), '') = '' AND required THEN 'schema_violation: ' || field || ' is missing'
         WHEN coalesce(trim(value), '') <> '' AND TRY_CAST(trim(value) AS DATE) IS NULL
         THEN 'invalid_date: ' || field || ' is not a date in the mapping''s format' END;
