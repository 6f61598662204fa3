-- Fill the run's days of ops.payroll_files (cleared by delete_payroll_files.sql) from the file
-- drop's manifest segments. A manifest line is written by the file drop itself, so one that does
-- not parse fails the load rather than being skipped. A landed file whose manifest line was
-- written twice (a crash before its archive move) is one row. $segments: the days' manifest
-- segment paths, read in order (preserve_insertion_order on, for the line numbers).
INSERT INTO ops.payroll_files
WITH manifest AS (
    SELECT
        CAST(regexp_extract(filename, 'business_date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) AS DATE) AS business_date,
        filename AS segment_path,
        ordinality - min(ordinality) OVER (PARTITION BY filename) + 1 AS line_number,
        event_id, received_at, payload
    FROM read_json(
        $segments,
        format = 'newline_delimited',
        columns = {
            'event_id': 'VARCHAR', 'event_type': 'VARCHAR', 'received_at': 'VARCHAR',
            'payload': 'STRUCT(entity VARCHAR, name VARCHAR, sha256 VARCHAR, status VARCHAR, "rows" BIGINT, partitions VARCHAR[], unknown_columns VARCHAR[], missing_columns VARCHAR[], archived_to VARCHAR, problem VARCHAR)'
        },
        filename = true, hive_partitioning = false
    ) WITH ORDINALITY
)
SELECT
    business_date, event_id, payload.entity, payload.name, payload.sha256, payload.status,
    payload.rows, CAST(payload.partitions AS DATE[]), payload.unknown_columns,
    payload.missing_columns, payload.problem, payload.archived_to,
    CAST(received_at AS TIMESTAMPTZ), segment_path, line_number
FROM manifest
QUALIFY row_number() OVER (PARTITION BY business_date, event_id ORDER BY segment_path, line_number) = 1;
