-- The connection-local staging of one load (stage_*.sql, parse_<entity>.sql), once its
-- partitions are replaced.
DROP VIEW parsed_events;
DROP VIEW screened_lines;
DROP TABLE ranked_events;
DROP TABLE personal_data_findings;
DROP TABLE card_number_findings;
DROP TABLE landed_lines;
