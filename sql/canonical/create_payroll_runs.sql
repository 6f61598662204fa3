-- One row per pay run (client × pay group × run id) in the version of its newest dropped file: a
-- corrected file replaces the run. Rebuilt per check date from raw.payroll_register.
CREATE TABLE IF NOT EXISTS canonical.payroll_runs (
    business_date           DATE NOT NULL,
    run_key                 VARCHAR NOT NULL,
    client_id               VARCHAR NOT NULL,
    pay_group               VARCHAR NOT NULL,
    payroll_run_id          VARCHAR NOT NULL,
    legal_entity            VARCHAR,
    currency                VARCHAR,
    period_begin            DATE,
    period_end              DATE,
    check_date              DATE NOT NULL,
    file_sha256             VARCHAR NOT NULL,
    file_name               VARCHAR NOT NULL,
    file_received_at        TIMESTAMPTZ NOT NULL,
    files_received          INTEGER NOT NULL,
    employees               INTEGER NOT NULL,
    item_rows               INTEGER NOT NULL,
    void_rows               INTEGER NOT NULL,
    gross_amount            DECIMAL(18, 2) NOT NULL,
    ee_tax_amount           DECIMAL(18, 2) NOT NULL,
    er_tax_amount           DECIMAL(18, 2) NOT NULL,
    ee_deduction_amount     DECIMAL(18, 2) NOT NULL,
    er_benefit_amount       DECIMAL(18, 2) NOT NULL,
    net_pay_amount          DECIMAL(18, 2) NOT NULL,
    register_gross          DECIMAL(18, 2),
    register_ee_tax         DECIMAL(18, 2),
    register_er_tax         DECIMAL(18, 2),
    register_ee_deduction   DECIMAL(18, 2),
    register_er_benefit     DECIMAL(18, 2),
    register_net_pay        DECIMAL(18, 2),
    mapping_issue           VARCHAR
);
COMMENT ON TABLE canonical.payroll_runs IS 'Pay runs (client, pay group, run id) in the version of their newest dropped file, with totals per item class computed from canonical.payroll_items and, where the register printed them, the register''s own totals (RUN_TOTAL lines) to compare with.';
COMMENT ON COLUMN canonical.payroll_runs.business_date IS 'Check date: the partition. Source: raw.payroll_register(check_date)';
COMMENT ON COLUMN canonical.payroll_runs.run_key IS '<client_id>|<pay_group>|<payroll_run_id>: the pay run. Source: raw.payroll_register(client_id, pay_group, payroll_run_id)';
COMMENT ON COLUMN canonical.payroll_runs.client_id IS 'Heartland Payroll client id. Source: raw.payroll_register(client_id)';
COMMENT ON COLUMN canonical.payroll_runs.pay_group IS 'Pay group. Source: raw.payroll_register(pay_group)';
COMMENT ON COLUMN canonical.payroll_runs.payroll_run_id IS 'Run id as the register names it. Source: raw.payroll_register(payroll_run_id)';
COMMENT ON COLUMN canonical.payroll_runs.legal_entity IS 'D365 legal entity of the client (mappings/payroll_clients.csv); NULL when unmapped (see mapping_issue).';
COMMENT ON COLUMN canonical.payroll_runs.currency IS 'Currency of the client''s payroll (mappings/payroll_clients.csv).';
COMMENT ON COLUMN canonical.payroll_runs.period_begin IS 'First day of the pay period. Source: raw.payroll_register(period_begin)';
COMMENT ON COLUMN canonical.payroll_runs.period_end IS 'Last day of the pay period. Source: raw.payroll_register(period_end)';
COMMENT ON COLUMN canonical.payroll_runs.check_date IS 'Check date. Source: raw.payroll_register(check_date)';
COMMENT ON COLUMN canonical.payroll_runs.file_sha256 IS 'The file version the run is built from: the newest file received for it. Source: raw.payroll_register(file_sha256)';
COMMENT ON COLUMN canonical.payroll_runs.file_name IS 'Name of that file. Source: raw.payroll_register(file_name)';
COMMENT ON COLUMN canonical.payroll_runs.file_received_at IS 'When that file landed. Source: raw.payroll_register(received_at)';
COMMENT ON COLUMN canonical.payroll_runs.files_received IS 'Distinct files received for the run (2 or more: corrected).';
COMMENT ON COLUMN canonical.payroll_runs.employees IS 'Distinct employees paid in the run.';
COMMENT ON COLUMN canonical.payroll_runs.item_rows IS 'Item lines of the run in canonical.payroll_items.';
COMMENT ON COLUMN canonical.payroll_runs.void_rows IS 'Of those, lines of void checks (reversing an earlier run).';
COMMENT ON COLUMN canonical.payroll_runs.gross_amount IS 'Σ EARNING (signed: voids negative). Source: canonical.payroll_items(amount)';
COMMENT ON COLUMN canonical.payroll_runs.ee_tax_amount IS 'Σ EE_TAX. Source: canonical.payroll_items(amount)';
COMMENT ON COLUMN canonical.payroll_runs.er_tax_amount IS 'Σ ER_TAX. Source: canonical.payroll_items(amount)';
COMMENT ON COLUMN canonical.payroll_runs.ee_deduction_amount IS 'Σ EE_DEDUCTION. Source: canonical.payroll_items(amount)';
COMMENT ON COLUMN canonical.payroll_runs.er_benefit_amount IS 'Σ ER_BENEFIT. Source: canonical.payroll_items(amount)';
COMMENT ON COLUMN canonical.payroll_runs.net_pay_amount IS 'Σ NET_PAY. Source: canonical.payroll_items(amount)';
COMMENT ON COLUMN canonical.payroll_runs.register_gross IS 'The register''s own gross total (RUN_TOTAL GROSS line); NULL when the file has none. Source: raw.payroll_register(amount)';
COMMENT ON COLUMN canonical.payroll_runs.register_ee_tax IS 'The register''s RUN_TOTAL EE_TAX. Source: raw.payroll_register(amount)';
COMMENT ON COLUMN canonical.payroll_runs.register_er_tax IS 'The register''s RUN_TOTAL ER_TAX. Source: raw.payroll_register(amount)';
COMMENT ON COLUMN canonical.payroll_runs.register_ee_deduction IS 'The register''s RUN_TOTAL EE_DEDUCTION. Source: raw.payroll_register(amount)';
COMMENT ON COLUMN canonical.payroll_runs.register_er_benefit IS 'The register''s RUN_TOTAL ER_BENEFIT. Source: raw.payroll_register(amount)';
COMMENT ON COLUMN canonical.payroll_runs.register_net_pay IS 'The register''s RUN_TOTAL NET_PAY. Source: raw.payroll_register(amount)';
COMMENT ON COLUMN canonical.payroll_runs.mapping_issue IS 'Why the run cannot be journalled as it is (client not in mappings/payroll_clients.csv); NULL otherwise.';
