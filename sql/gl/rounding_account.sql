-- The rounding account valid on $day (mappings/gl_posting_rules.csv, posting_kind rounding).
SELECT main_account
FROM ref.gl_posting_rules
WHERE posting_kind = 'rounding' AND valid_from <= $day AND main_account IS NOT NULL
ORDER BY match_value = '*', valid_from DESC
LIMIT 1
