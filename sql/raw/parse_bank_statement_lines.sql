-- Parse each screened line against the bank statement shape (docs/payroll-intake.md): values as
-- read through mappings/bank_statement_columns.csv, the account number already cut to its last
-- four digits by the file drop. Problems name the field, never its value.
CREATE OR REPLACE TEMP VIEW parsed_events AS
WITH decoded AS (
    SELECT
        segment_path, business_date, line_number, line, screen_problem,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{
            "event_id": "VARCHAR", "event_type": "VARCHAR", "received_at": "VARCHAR", "receiver_problem": "VARCHAR",
            "payload": {"account_last4": "VARCHAR", "booking_date": "VARCHAR", "value_date": "VARCHAR",
                        "currency": "VARCHAR", "amount": "VARCHAR", "bank_reference": "VARCHAR",
                        "description": "VARCHAR",
                        "file": {"name": "VARCHAR", "sha256": "VARCHAR", "row": "VARCHAR"}}
        }') END AS e
    FROM screened_lines
),
fields AS (
    SELECT
        *,
        nullif(trim(e.payload.amount), '') AS amount_text,
        TRY_CAST(nullif(trim(e.payload.amount), '') AS DECIMAL(38, 10)) AS amount_value
    FROM decoded
)
SELECT
    business_date, segment_path, line_number, line,
    e.event_id, e.event_type, TRY_CAST(e.received_at AS TIMESTAMPTZ) AS received_at,
    e.payload.file.sha256 AS file_sha256,
    e.payload.file.name AS file_name,
    TRY_CAST(e.payload.file.row AS BIGINT) AS file_row,
    nullif(trim(e.payload.account_last4), '') AS account_last4,
    TRY_CAST(nullif(trim(e.payload.booking_date), '') AS DATE) AS booking_date,
    TRY_CAST(nullif(trim(e.payload.value_date), '') AS DATE) AS value_date,
    upper(nullif(trim(e.payload.currency), '')) AS currency,
    exact_money(amount_value) AS amount,
    nullif(trim(e.payload.bank_reference), '') AS bank_reference,
    nullif(trim(e.payload.description), '') AS description,
    CASE WHEN screen_problem IS NOT NULL THEN [screen_problem] ELSE list_filter(envelope_problems(e.event_id, e.received_at, e.receiver_problem) || [
        CASE WHEN e.event_type IS DISTINCT FROM 'bank.statement_line'
             THEN 'schema_violation: event_type is not bank.statement_line' END,
        CASE WHEN coalesce(e.payload.file.sha256, '') = '' OR coalesce(e.payload.file.name, '') = ''
                  OR TRY_CAST(e.payload.file.row AS BIGINT) IS NULL
             THEN 'schema_violation: payload.file does not name the file, its sha256 and row' END,
        CASE WHEN NOT regexp_full_match(coalesce(e.payload.account_last4, '0000'), '[0-9]{4}')
             THEN 'schema_violation: payload.account_last4 is not four digits' END,
        payroll_date_problem('payload.booking_date', e.payload.booking_date, true),
        payroll_date_problem('payload.value_date', e.payload.value_date, false),
        CASE WHEN TRY_CAST(nullif(trim(e.payload.booking_date), '') AS DATE) <> business_date
             THEN 'schema_violation: payload.booking_date is not the business day the line landed under' END,
        currency_problem('payload.currency', upper(trim(e.payload.currency)))
    ] || money_problems([
        {'field': 'payload.amount', 'amount': amount_value, 'text': amount_text, 'required': true}
    ]), lambda p: p IS NOT NULL) END AS problems
FROM fields;
