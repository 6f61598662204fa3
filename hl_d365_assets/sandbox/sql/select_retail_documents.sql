-- Every document of one Heartland Retail resource the sandbox renders whole (all but tickets),
-- in id order.
SELECT line FROM retail_{resource}_documents ORDER BY sort_key
