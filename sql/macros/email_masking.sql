-- An e-mail address as ops tables and metadata may show it: the first letter of the mailbox and
-- of the domain, and the top-level domain (ada.lovelace@example.com -> a***@e***.com). The clear
-- address stays in the golden customer record (mdm.customers) and the request that needs it.
CREATE OR REPLACE MACRO mask_email(email) AS
    CASE WHEN email IS NULL OR NOT contains(email, '@') THEN NULL ELSE
        left(split_part(email, '@', 1), 1) || '***@'
        || left(split_part(email, '@', 2), 1) || '***'
        || coalesce(nullif(regexp_extract(split_part(email, '@', 2), '(\.[^.]+)$', 1), ''), '')
    END;
