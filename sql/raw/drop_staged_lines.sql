-- The connection-local staging of one load (stage_*.sql, parse_<entity>.sql), once its
-- partitions are replaced.
DROP VIEW ranked_events;
DROP TABLE redeliveries;
DROP TABLE judged_events;
DROP VIEW parsed_events;
DROP VIEW screened_lines;
DROP TABLE personal_data_findings;
DROP TABLE card_number_findings;
DROP TABLE landed_lines;
