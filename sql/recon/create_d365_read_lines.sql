-- The lines the read-back found in D365 under the day's keys (a session table, filled per run):
-- compared with gl.journal_lines by compare_gl_vs_d365.sql.
CREATE OR REPLACE TEMP TABLE d365_read_lines (
    journal_key          VARCHAR,
    journal_currency     VARCHAR,
    journal_batch_number VARCHAR,
    line_number          BIGINT,
    account_display_value VARCHAR,
    currency             VARCHAR,
    debit                DECIMAL(18, 2),
    credit               DECIMAL(18, 2)
)
