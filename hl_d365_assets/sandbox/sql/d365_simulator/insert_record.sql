-- One new record; the UNIQUE (entity_set, record_key) constraint refuses a duplicate key.
INSERT INTO records (entity_set, record_key, company, journal, body) VALUES (?, ?, ?, ?, ?)
