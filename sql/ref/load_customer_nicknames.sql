-- ref.customer_nicknames from mappings/customer_nicknames.csv ($dir: the mappings folder): the
-- nicknames the matcher reads as their given name, both as name keys (letters, lower case).
CREATE OR REPLACE TABLE ref.customer_nicknames AS
SELECT DISTINCT ON (name_key(nickname)) name_key(nickname) AS nickname, name_key(given_name) AS given_name
FROM read_csv($dir || '/customer_nicknames.csv', header = true, columns = {
    'nickname': 'VARCHAR', 'given_name': 'VARCHAR'})
WHERE name_key(nickname) <> name_key(given_name);
COMMENT ON TABLE ref.customer_nicknames IS 'mappings/customer_nicknames.csv as loaded: a nickname and the given name it stands for (bob: robert), as name keys. A nickname listed twice keeps its first given name.';
COMMENT ON COLUMN ref.customer_nicknames.nickname IS 'The nickname as a name key (letters only, lower case).';
COMMENT ON COLUMN ref.customer_nicknames.given_name IS 'The given name it stands for, as a name key.';
