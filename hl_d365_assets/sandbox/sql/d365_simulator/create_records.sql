-- Every record of every entity set: its key (case-folded, as D365's keys compare), its company,
-- the journal it belongs to (for lines, so a journal's lines are one index lookup) and its
-- fields as exact JSON. seq keeps insertion order, the order the store lists records in.
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_set TEXT NOT NULL,
    record_key TEXT NOT NULL,
    company TEXT NOT NULL,
    journal TEXT,
    body TEXT NOT NULL,
    UNIQUE (entity_set, record_key)
);
CREATE INDEX IF NOT EXISTS records_by_company ON records (entity_set, company);
CREATE INDEX IF NOT EXISTS records_by_journal ON records (entity_set, company, journal);
