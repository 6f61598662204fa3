-- The card-number screen's verdict when stage_card_number_suspects.sql kept no suspect line (a
-- clean entity's day, most of them): no findings, staged without binding the masking macros.
CREATE OR REPLACE TEMP TABLE card_number_findings (
    segment_path    VARCHAR,
    line_number     BIGINT,
    problem         VARCHAR
);

DROP TABLE card_number_suspect_lines;
