-- The text of a landed line that the card-number scan reads.
-- One field is exempt: payment_method.card.brand_reference is the card scheme's own transaction
-- identifier (a Visa transaction id is 15 digits) and passes Luhn one time in ten without being
-- a card number, so its value is blanked in the scanned text (never in what is stored).
CREATE OR REPLACE MACRO scannable_text(line) AS
    CASE WHEN contains(line, '"brand_reference"')
         THEN regexp_replace(line, '"brand_reference":"[0-9 -]*"', '"brand_reference":""', 'g')
         ELSE line
    END;
