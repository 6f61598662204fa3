-- ref.pos_ticket_limits from mappings/pos_ticket_limits.csv ($dir: the mappings folder): the
-- amount above which a ticket needs a manager (or a signature), per store ('*': every store
-- without its own row), and what "just under" it means. A purchase split into several tickets
-- on one card, each just under the limit, dodges it (split_ticket, sql/risk/features_pos.sql).
CREATE OR REPLACE TABLE ref.pos_ticket_limits AS
SELECT trim(store_id) AS store_id, ticket_limit, just_under_share, window_minutes, valid_from
FROM read_csv($dir || '/pos_ticket_limits.csv', header = true, columns = {
    'store_id': 'VARCHAR', 'ticket_limit': 'DECIMAL(18,2)', 'just_under_share': 'DECIMAL(9,6)',
    'window_minutes': 'INTEGER', 'valid_from': 'DATE'});
COMMENT ON TABLE ref.pos_ticket_limits IS 'mappings/pos_ticket_limits.csv as loaded: per store, the ticket limit in the store''s currency, the band below it that counts as just under, and the minutes within which tickets on one card by one cashier count as one purchase split.';
COMMENT ON COLUMN ref.pos_ticket_limits.store_id IS 'Store id (S001), or * for every store without its own row.';
COMMENT ON COLUMN ref.pos_ticket_limits.ticket_limit IS 'Ticket total (store currency) above which a ticket needs approval.';
COMMENT ON COLUMN ref.pos_ticket_limits.just_under_share IS 'A ticket total in [limit x (1 - share), limit) is just under the limit (0.15: the top 15 % below it).';
COMMENT ON COLUMN ref.pos_ticket_limits.window_minutes IS 'Tickets by one cashier on one card closed within this many minutes of each other count as one split purchase.';
COMMENT ON COLUMN ref.pos_ticket_limits.valid_from IS 'Day the row took effect; a day uses the newest row on or before it.';
