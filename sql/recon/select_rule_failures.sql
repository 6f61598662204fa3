-- The rows of a business rule's table (components/business_rule.py) that break it, on the rule's
-- read-only connection: each one's business day and its key columns as text through the
-- card-number mask. Filled in by hl_d365_assets/business_rules.py, not bound: {table} and the
-- column names are checked identifiers, {predicate} the parser-guarded expression, {window} the
-- business-day filter ($first, $last bound) or true for a table that is not per day. A row breaks
-- the rule when its predicate is false or NULL.
SELECT {day} AS business_date, mask_card_numbers({keys}) AS source_keys
FROM {table}
WHERE {window} AND NOT coalesce(({predicate}), false)
