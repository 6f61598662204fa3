-- ref.mdm_survivorship from mappings/mdm_survivorship.csv ($dir): which source's value of each
-- golden attribute survives. Rules: source_priority (first source in source_order holding a
-- value, then the newer), most_recent (the newest record holding one, then source_order),
-- most_complete (the record holding most parts, then the newer).
CREATE OR REPLACE TABLE ref.mdm_survivorship AS
SELECT lower(attribute) AS attribute, lower(rule) AS rule,
       string_split(lower(trim(source_order)), ' ') AS source_order, note
FROM read_csv($dir || '/mdm_survivorship.csv', header = true, columns = {
    'attribute': 'VARCHAR', 'rule': 'VARCHAR', 'source_order': 'VARCHAR', 'note': 'VARCHAR'});
COMMENT ON TABLE ref.mdm_survivorship IS 'mappings/mdm_survivorship.csv as loaded: per golden attribute (name, email, phone, address), the rule choosing the surviving record and the order of sources.';
COMMENT ON COLUMN ref.mdm_survivorship.attribute IS 'name, email, phone or address.';
COMMENT ON COLUMN ref.mdm_survivorship.rule IS 'source_priority, most_recent or most_complete.';
COMMENT ON COLUMN ref.mdm_survivorship.source_order IS 'Sources, most trusted first (heartland_retail, d365, payments); also breaks ties of the other rules.';
COMMENT ON COLUMN ref.mdm_survivorship.note IS 'Why, in the words of whoever set it.';
