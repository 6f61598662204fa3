-- The card-number screen's verdict on the suspect lines stage_card_number_suspects.sql kept (a
-- line holding a run that may be a PAN): a line holding a PAN gets its quarantine reason, the
-- PANs masked. stage_screened_lines.sql joins it.
CREATE OR REPLACE TEMP TABLE card_number_findings AS
SELECT
    segment_path,
    line_number,
    'card_number_detected: full card number '
        || list_aggregate(list_transform(card_numbers(line), lambda n: mask_card_numbers(n)), 'string_agg', ', ')
        || ' in the record' AS problem
FROM card_number_suspect_lines
WHERE has_card_number(line);

DROP TABLE card_number_suspect_lines;
