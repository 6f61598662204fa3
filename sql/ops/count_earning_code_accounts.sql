-- What the data says about an unknown earning code ($code): the checks that pay it (the row whose
-- main_account is NULL), and of those, how many also pay an earning a rule already maps, by that
-- rule's main account (the newest exact debit rule valid on the check date). A retro or bonus
-- code is paid beside the check's own wages. Counts only: no amount, no employee leaves here.
WITH paying AS (
    SELECT DISTINCT run_key, check_number, employee_number, check_date
    FROM canonical.payroll_items
    WHERE item_class = 'EARNING' AND upper(replace(trim(item_code), ' ', '_')) = $code
),
mapped AS (
    SELECT p.run_key, p.check_number, p.employee_number, r.main_account
    FROM paying AS p
    JOIN canonical.payroll_items AS i
      ON i.run_key = p.run_key AND i.check_number IS NOT DISTINCT FROM p.check_number
     AND i.employee_number = p.employee_number AND i.item_class = 'EARNING'
    JOIN ref.gl_payroll_posting_rules AS r
      ON r.item_class = 'EARNING' AND r.side = 'debit'
     AND r.item_code = upper(replace(trim(i.item_code), ' ', '_')) AND r.valid_from <= p.check_date
    QUALIFY row_number() OVER (
        PARTITION BY p.run_key, p.check_number, p.employee_number, i.item_code
        ORDER BY r.valid_from DESC) = 1
)
SELECT main_account, count(DISTINCT (run_key, check_number, employee_number)) AS checks
FROM mapped
GROUP BY main_account
UNION ALL
SELECT NULL, count(*) FROM paying
ORDER BY checks DESC, main_account NULLS LAST
