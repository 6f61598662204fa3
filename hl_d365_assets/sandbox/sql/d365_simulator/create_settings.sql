-- Facts about the state itself that must survive a restart (whether it has been seeded).
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
