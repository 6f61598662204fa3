-- The legal entities with a journal of $day, built or posted: whose D365 journals to read back.
SELECT DISTINCT legal_entity FROM gl.journals WHERE business_date = $day
UNION
SELECT DISTINCT legal_entity FROM gl.posted_lines WHERE business_date = $day
