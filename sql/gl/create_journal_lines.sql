-- The day's double-entry journal per legal entity and currency, one line per account and
-- dimension combination. Replaced per business day.
CREATE TABLE IF NOT EXISTS gl.journal_lines (
    business_date           DATE NOT NULL,
    journal_key             VARCHAR NOT NULL,
    legal_entity            VARCHAR NOT NULL,
    currency                VARCHAR NOT NULL,
    base_currency           VARCHAR,
    fx_rate                 DECIMAL(18, 8),
    line_key                VARCHAR NOT NULL,
    line_number             BIGINT NOT NULL,
    line_type               VARCHAR NOT NULL,
    main_account            VARCHAR,
    account_display_value   VARCHAR,
    dimension_values        VARCHAR,
    posting_kinds           VARCHAR NOT NULL,
    text                    VARCHAR NOT NULL,
    amount                  DECIMAL(18, 2) NOT NULL,
    debit_amount            DECIMAL(18, 2) NOT NULL,
    credit_amount           DECIMAL(18, 2) NOT NULL,
    base_amount             DECIMAL(18, 2),
    base_debit_amount       DECIMAL(18, 2),
    base_credit_amount      DECIMAL(18, 2),
    source_count            BIGINT NOT NULL,
    mapping_issue           VARCHAR
);
COMMENT ON TABLE gl.journal_lines IS 'Balanced daily journals (one per legal entity and currency): one line per D365 account and dimension combination, in transaction and base currency.';
COMMENT ON COLUMN gl.journal_lines.business_date IS 'Business day the journal covers; the D365 TransDate. Source: gl.journal_line_sources(business_date)';
COMMENT ON COLUMN gl.journal_lines.journal_key IS 'Journal: legal entity, business day and currency, e.g. usrt-2026-11-20-USD.';
COMMENT ON COLUMN gl.journal_lines.legal_entity IS 'D365 legal entity (dataAreaId). Source: canonical.pos_sales(legal_entity); canonical.payments(legal_entity); canonical.settlement_batches(legal_entity)';
COMMENT ON COLUMN gl.journal_lines.currency IS 'Transaction currency of the journal (the stores'' currency). Source: canonical.pos_sales(currency); canonical.payments(currency); canonical.settlement_batches(currency)';
COMMENT ON COLUMN gl.journal_lines.base_currency IS 'Accounting currency of the legal entity; NULL when the entity is not in mappings/legal_entities.csv.';
COMMENT ON COLUMN gl.journal_lines.fx_rate IS 'Rate from currency to base_currency: the latest mappings/fx_rates.csv row on or before the day.';
COMMENT ON COLUMN gl.journal_lines.line_key IS 'Stable line id: a hash of journal and account display value (or of the unmapped posting), the same on every re-run.';
COMMENT ON COLUMN gl.journal_lines.line_number IS 'Position in the journal, ordered by account display value; the rounding line comes last.';
COMMENT ON COLUMN gl.journal_lines.line_type IS 'posting (summarised from source records) or rounding (base-currency conversion difference).';
COMMENT ON COLUMN gl.journal_lines.main_account IS 'D365 main account from mappings/gl_posting_rules.csv; NULL when no rule maps the posting (see mapping_issue).';
COMMENT ON COLUMN gl.journal_lines.account_display_value IS 'D365 AccountDisplayValue: main account and dimension values in the order of mappings/gl_account_structure.csv, "-" separated, trailing empty segments left out, "-" inside a value escaped as "\-".';
COMMENT ON COLUMN gl.journal_lines.dimension_values IS 'The financial dimensions of the line, e.g. BusinessUnit=001, Department=RETAIL; empty for accounts posted without dimensions.';
COMMENT ON COLUMN gl.journal_lines.posting_kinds IS 'What was summarised into the line: tender, tip, revenue, returns, sales_tax, cogs, inventory, cash_over_short, settlement, merchant_fees, deposit, settlement_difference, rounding. Source: gl.journal_line_sources(posting_kind)';
COMMENT ON COLUMN gl.journal_lines.text IS 'Line text for D365: account name and business day.';
COMMENT ON COLUMN gl.journal_lines.amount IS 'Net amount in transaction currency: positive is a debit, negative a credit. Source: gl.journal_line_sources(amount)';
COMMENT ON COLUMN gl.journal_lines.debit_amount IS 'amount when positive, else 0 (D365 DebitAmount). Source: gl.journal_line_sources(amount)';
COMMENT ON COLUMN gl.journal_lines.credit_amount IS '-amount when negative, else 0 (D365 CreditAmount). Source: gl.journal_line_sources(amount)';
COMMENT ON COLUMN gl.journal_lines.base_amount IS 'amount × fx_rate rounded half away from zero to the cent; on the rounding line, the difference that makes the journal balance in base currency. Source: gl.journal_line_sources(amount)';
COMMENT ON COLUMN gl.journal_lines.base_debit_amount IS 'base_amount when positive, else 0. Source: gl.journal_line_sources(amount)';
COMMENT ON COLUMN gl.journal_lines.base_credit_amount IS '-base_amount when negative, else 0. Source: gl.journal_line_sources(amount)';
COMMENT ON COLUMN gl.journal_lines.source_count IS 'Rows of gl.journal_line_sources behind the line (a record per posting kind: a card tender with a tip counts twice on its clearing line). Source: gl.journal_line_sources(line_key)';
COMMENT ON COLUMN gl.journal_lines.mapping_issue IS 'Why the line has no account (no rule in mappings/gl_posting_rules.csv, or a store without dimension values); NULL when mapped. Blocks posting.';
