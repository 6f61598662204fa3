-- A barcode as the digits it encodes, padded to GTIN-14: D365 may hold a UPC-A as EAN-13 (a
-- leading 0) or with spaces, Heartland Retail as 12 digits; both name one GTIN. NULL when it
-- holds no digit; longer codes (not a GTIN) are kept as their digits.
CREATE OR REPLACE MACRO gtin14(p_code) AS
    CASE WHEN coalesce(regexp_replace(p_code, '[^0-9]', '', 'g'), '') = '' THEN NULL
         WHEN length(regexp_replace(p_code, '[^0-9]', '', 'g')) > 14 THEN regexp_replace(p_code, '[^0-9]', '', 'g')
         ELSE lpad(regexp_replace(p_code, '[^0-9]', '', 'g'), 14, '0') END;
