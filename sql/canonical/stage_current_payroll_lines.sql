-- Staging (connection-local) for check dates $first..$last: the register lines of each pay run's
-- current file, read once by insert_payroll_items.sql and insert_payroll_runs.sql.
-- A pay run (run key client|pay group|run id) may arrive in several files: a corrected file
-- replaces the whole run. The newest file wins, by when its lines landed (received_at), ties by
-- file name, then content hash; the other files' lines are superseded (counted, not loaded).
-- Versions are looked for in every check date, so a correction that moved the check date leaves
-- nothing behind in the old day once that day is rebuilt.
-- Voids: a void check's lines repeat the voided check's items with positive amounts; here they
-- become negative (amount and hours). RUN_TOTAL lines stay as the register printed them.
-- The client maps to its D365 legal entity and currency (ref.payroll_clients, newest valid_from
-- on or before the check date).
-- Read narrow first: the files and check dates of each run are summed from the register
-- without copying its lines, whose wide rows are read once, at the end (materialising them
-- twice as CTEs was most of this statement's ~0.6 s of CPU on a 20,000-employee register).
CREATE OR REPLACE TEMP TABLE current_payroll_lines AS
WITH window_runs AS (
    SELECT DISTINCT client_id, pay_group, payroll_run_id
    FROM raw.payroll_register
    WHERE business_date BETWEEN $first AND $last
),
run_lines AS NOT MATERIALIZED (
    SELECT r.*, r.client_id || '|' || r.pay_group || '|' || r.payroll_run_id AS run_key
    FROM raw.payroll_register AS r
    SEMI JOIN window_runs AS w
        ON w.client_id = r.client_id AND w.pay_group = r.pay_group
       AND w.payroll_run_id = r.payroll_run_id
),
file_days AS (
    SELECT run_key, file_sha256, file_name, upper(trim(client_id)) AS client_key, check_date,
           max(received_at) AS received_at, count(*) AS lines
    FROM run_lines
    GROUP BY ALL
),
files AS (
    SELECT run_key, file_sha256, file_name, max(received_at) AS file_received_at,
           sum(lines) AS file_lines
    FROM file_days
    GROUP BY ALL
),
newest_files AS (
    SELECT
        run_key,
        arg_max({'file_sha256': file_sha256, 'file_name': file_name, 'received_at': file_received_at,
                 'lines': file_lines},
                (file_received_at, file_name, file_sha256)) AS newest,
        count(*) AS files_received,
        sum(file_lines) AS lines_received
    FROM files
    GROUP BY run_key
),
run_clients AS (
    SELECT DISTINCT d.run_key, d.client_key, d.check_date
    FROM file_days AS d
    JOIN newest_files AS n
        ON n.run_key = d.run_key AND n.newest.file_sha256 = d.file_sha256
       AND n.newest.file_name = d.file_name
),
mapped_clients AS (
    SELECT rc.run_key, rc.check_date, c.legal_entity, c.currency
    FROM run_clients AS rc
    ASOF LEFT JOIN ref.payroll_clients AS c
        ON c.client_id = rc.client_key AND rc.check_date >= c.valid_from
)
SELECT
    l.*,
    n.newest.received_at AS file_received_at,
    n.files_received,
    n.lines_received - n.newest.lines AS superseded_lines,
    m.legal_entity,
    m.currency,
    lower(l.check_type) = 'void' AS is_void,
    CASE WHEN lower(l.check_type) = 'void' THEN -l.amount ELSE l.amount END AS signed_amount,
    CASE WHEN lower(l.check_type) = 'void' THEN -l.hours ELSE l.hours END AS signed_hours
FROM run_lines AS l
JOIN newest_files AS n
    ON n.run_key = l.run_key AND n.newest.file_sha256 = l.file_sha256
   AND n.newest.file_name = l.file_name
JOIN mapped_clients AS m ON m.run_key = l.run_key AND m.check_date = l.check_date
WHERE l.business_date BETWEEN $first AND $last;
