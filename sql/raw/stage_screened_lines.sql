-- Checks that need no schema: size, JSON well-formedness and card numbers (PCI DSS).
-- The cheap prefilter card_number_candidates() keeps the Luhn test off ordinary lines.
-- One field is exempt: payment_method.card.brand_reference is the card scheme's own transaction
-- identifier (a Visa transaction id is 15 digits) and passes Luhn one time in ten without being
-- a card number, so its value is blanked in the text that is scanned (never in what is stored).
-- $max_record_bytes: larger lines are quarantined without being parsed.
CREATE OR REPLACE TEMP TABLE screened_lines AS
WITH scannable AS (
    SELECT
        *,
        CASE WHEN contains(line, '"brand_reference"')
             THEN regexp_replace(line, '"brand_reference":"[0-9 -]*"', '"brand_reference":""', 'g')
             ELSE line
        END AS scan_text
    FROM landed_lines
)
SELECT
    segment_path,
    business_date,
    line_number,
    line,
    CASE
        WHEN NOT valid_utf8
            THEN 'invalid_encoding: line is not valid UTF-8 (bad bytes shown as \xNN)'
        WHEN strlen(line) > $max_record_bytes
            THEN 'oversized_record: ' || strlen(line) || ' bytes, limit ' || $max_record_bytes
        WHEN NOT json_valid(line)
            THEN 'malformed_json: line is not a complete JSON object'
        WHEN card_number_candidates(scan_text) AND has_card_number(scan_text)
            THEN 'card_number_detected: full card number '
                || list_aggregate(list_transform(card_numbers(scan_text), lambda n: mask_card_numbers(n)), 'string_agg', ', ')
                || ' in the record'
    END AS screen_problem
FROM scannable;
