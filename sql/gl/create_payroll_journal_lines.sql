-- Each pay run's journal per legal entity: one line per D365 account display value (main account
-- + BusinessUnit + Department), summarised from the run's allocated items. Replaced per check date.
CREATE TABLE IF NOT EXISTS gl.payroll_journal_lines (
    business_date           DATE NOT NULL,
    journal_key             VARCHAR NOT NULL,
    run_key                 VARCHAR NOT NULL,
    pay_group               VARCHAR NOT NULL,
    payroll_run_id          VARCHAR NOT NULL,
    legal_entity            VARCHAR NOT NULL,
    currency                VARCHAR NOT NULL,
    base_currency           VARCHAR,
    fx_rate                 DECIMAL(18, 8),
    line_key                VARCHAR NOT NULL,
    line_number             BIGINT NOT NULL,
    main_account            VARCHAR,
    account_display_value   VARCHAR,
    dimension_values        VARCHAR,
    item_classes            VARCHAR NOT NULL,
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
COMMENT ON TABLE gl.payroll_journal_lines IS 'Payroll journals, one per pay run and legal entity: one line per D365 account and dimension combination (expense per BusinessUnit and Department, liabilities without dimensions), dated the check date.';
COMMENT ON COLUMN gl.payroll_journal_lines.business_date IS 'Check date of the run: the partition and the D365 TransDate. Source: canonical.payroll_allocations(business_date)';
COMMENT ON COLUMN gl.payroll_journal_lines.journal_key IS 'The journal: legal entity, check date, currency and P + 8 hex of the run key (usrt-2026-11-20-USD-P1a2b3c4d); the P tag is the run''s tag in the D365 idempotency key.';
COMMENT ON COLUMN gl.payroll_journal_lines.run_key IS 'Pay run (<client_id>|<pay_group>|<payroll_run_id>). Source: canonical.payroll_allocations(run_key)';
COMMENT ON COLUMN gl.payroll_journal_lines.pay_group IS 'Pay group of the run. Source: canonical.payroll_runs(pay_group)';
COMMENT ON COLUMN gl.payroll_journal_lines.payroll_run_id IS 'Run id as the register names it. Source: canonical.payroll_runs(payroll_run_id)';
COMMENT ON COLUMN gl.payroll_journal_lines.legal_entity IS 'D365 legal entity (dataAreaId); (unknown) when the client is not mapped. Source: canonical.payroll_allocations(legal_entity)';
COMMENT ON COLUMN gl.payroll_journal_lines.currency IS 'Payroll currency of the journal. Source: canonical.payroll_allocations(currency)';
COMMENT ON COLUMN gl.payroll_journal_lines.base_currency IS 'Accounting currency of the legal entity (mappings/legal_entities.csv).';
COMMENT ON COLUMN gl.payroll_journal_lines.fx_rate IS 'Rate from currency to base_currency on the check date (mappings/fx_rates.csv).';
COMMENT ON COLUMN gl.payroll_journal_lines.line_key IS 'Stable line id: a hash of journal and account display value (or of the unmapped item), the same on every re-run.';
COMMENT ON COLUMN gl.payroll_journal_lines.line_number IS 'Position in the journal, ordered by account display value.';
COMMENT ON COLUMN gl.payroll_journal_lines.main_account IS 'D365 main account from mappings/gl_payroll_posting_rules.csv; NULL when no rule maps the item (see mapping_issue).';
COMMENT ON COLUMN gl.payroll_journal_lines.account_display_value IS 'D365 AccountDisplayValue: main account and dimension values in the order of mappings/gl_account_structure.csv, "-" separated, trailing empty segments left out, "-" inside a value escaped as "\-".';
COMMENT ON COLUMN gl.payroll_journal_lines.dimension_values IS 'Financial dimensions of the line (BusinessUnit=001, Department=SALES); empty for liability lines.';
COMMENT ON COLUMN gl.payroll_journal_lines.item_classes IS 'Item classes summarised in the line (EARNING, ER_TAX, ...). Source: gl.payroll_journal_line_sources(item_class)';
COMMENT ON COLUMN gl.payroll_journal_lines.text IS 'Line text for D365: pay group, run id and account name.';
COMMENT ON COLUMN gl.payroll_journal_lines.amount IS 'Net amount: positive is a debit, negative a credit. Source: gl.payroll_journal_line_sources(amount)';
COMMENT ON COLUMN gl.payroll_journal_lines.debit_amount IS 'amount when positive, else 0 (D365 DebitAmount). Source: gl.payroll_journal_line_sources(amount)';
COMMENT ON COLUMN gl.payroll_journal_lines.credit_amount IS '-amount when negative, else 0 (D365 CreditAmount). Source: gl.payroll_journal_line_sources(amount)';
COMMENT ON COLUMN gl.payroll_journal_lines.base_amount IS 'amount × fx_rate rounded half away from zero to the cent. Source: gl.payroll_journal_line_sources(amount)';
COMMENT ON COLUMN gl.payroll_journal_lines.base_debit_amount IS 'base_amount when positive, else 0. Source: gl.payroll_journal_line_sources(amount)';
COMMENT ON COLUMN gl.payroll_journal_lines.base_credit_amount IS '-base_amount when negative, else 0. Source: gl.payroll_journal_line_sources(amount)';
COMMENT ON COLUMN gl.payroll_journal_lines.source_count IS 'Allocated items behind the line (rows of gl.payroll_journal_line_sources). Source: gl.payroll_journal_line_sources(line_key)';
COMMENT ON COLUMN gl.payroll_journal_lines.mapping_issue IS 'Why the line has no account: no rule for the item class and code, a department or location without a dimension value, a client without a legal entity; NULL when mapped. Holds the journal (items_mapped).';
