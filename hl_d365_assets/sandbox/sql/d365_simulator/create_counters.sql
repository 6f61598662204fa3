-- Number sequences (journal batch numbers, vouchers), per company: the last value handed out.
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
