-- Whether a risk rule (ref.risk_rules: operator and threshold, mappings/risk_rules.csv) fires on a
-- feature's value; NULL for an operator it does not know (the rules' load refuses those). One
-- definition for sql/risk/score_rules.sql, which tests it twice: on every feature row to find the
-- candidates, then on each candidate's largest value.
CREATE OR REPLACE MACRO risk_rule_passes(value, operator, threshold) AS
    CASE operator
        WHEN '>=' THEN value >= threshold
        WHEN '>' THEN value > threshold
        WHEN '<=' THEN value <= threshold
        WHEN '<' THEN value < threshold
    END;
