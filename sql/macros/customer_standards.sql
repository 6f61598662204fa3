-- How a customer's name, e-mail, phone and postal address are written once standardised, so
-- the same person's records compare equal across Heartland Retail, D365 and the payment side
-- (canonical.customer_records; docs/customers.md). Each rule is a macro: the MDM asset, the
-- tests and an analyst's query all spell a value the same way.

-- A name as a comparison key: accents stripped, case folded, everything but letters dropped
-- ("O'Brien" and "OBRIEN" are one key; "Anne-Marie" is "annemarie").
CREATE OR REPLACE MACRO name_key(p_name) AS
    nullif(regexp_replace(lower(strip_accents(trim(p_name))), '[^a-z]', '', 'g'), '');

-- An e-mail as written, trimmed and lower-cased; NULL when it is not one address.
CREATE OR REPLACE MACRO email_written(p_email) AS CASE
    WHEN regexp_full_match(lower(trim(p_email)), '[^@\s]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}')
        THEN lower(trim(p_email))
END;

-- The mailbox an address delivers to, by the provider's rules: Gmail ignores dots and
-- everything from a '+' in the local part (and googlemail.com is gmail.com); Outlook, Hotmail,
-- Live and iCloud ignore a '+tag'. Other domains are taken as written: their rules are unknown.
CREATE OR REPLACE MACRO email_mailbox(p_email) AS CASE
    WHEN email_written(p_email) IS NULL THEN NULL
    WHEN split_part(email_written(p_email), '@', 2) IN ('gmail.com', 'googlemail.com')
        THEN replace(split_part(split_part(email_written(p_email), '@', 1), '+', 1), '.', '') || '@gmail.com'
    WHEN split_part(email_written(p_email), '@', 2) IN ('outlook.com', 'hotmail.com', 'live.com', 'icloud.com', 'me.com')
        THEN split_part(split_part(email_written(p_email), '@', 1), '+', 1) || '@' || split_part(email_written(p_email), '@', 2)
    ELSE email_written(p_email)
END;

-- ISO 3166 alpha-2 of a country as the sources write it (D365 sends alpha-3).
CREATE OR REPLACE MACRO country_code(p_country) AS CASE upper(trim(p_country))
    WHEN 'USA' THEN 'US' WHEN 'US' THEN 'US' WHEN 'UNITED STATES' THEN 'US'
    WHEN 'CAN' THEN 'CA' WHEN 'CA' THEN 'CA' WHEN 'CANADA' THEN 'CA'
    ELSE nullif(upper(left(trim(p_country), 2)), '')
END;

-- A phone number in E.164 (+15125550123). North American numbers (country US or CA, or no
-- country) may be written with or without the leading 1; a number written with '+' keeps its
-- own country code. Anything else is NULL: a wrong number must not link two people.
CREATE OR REPLACE MACRO phone_e164(p_phone, p_country) AS CASE
    WHEN trim(p_phone) LIKE '+%' AND length(regexp_replace(p_phone, '[^0-9]', '', 'g')) BETWEEN 8 AND 15
        THEN '+' || regexp_replace(p_phone, '[^0-9]', '', 'g')
    WHEN coalesce(p_country, 'US') NOT IN ('US', 'CA') THEN NULL
    WHEN length(regexp_replace(p_phone, '[^0-9]', '', 'g')) = 10
        THEN '+1' || regexp_replace(p_phone, '[^0-9]', '', 'g')
    WHEN length(regexp_replace(p_phone, '[^0-9]', '', 'g')) = 11 AND regexp_replace(p_phone, '[^0-9]', '', 'g') LIKE '1%'
        THEN '+' || regexp_replace(p_phone, '[^0-9]', '', 'g')
END;

-- One word of a street line in USPS / Canada Post abbreviation.
CREATE OR REPLACE MACRO street_word(p_word) AS CASE p_word
    WHEN 'street' THEN 'st' WHEN 'avenue' THEN 'ave' WHEN 'boulevard' THEN 'blvd'
    WHEN 'road' THEN 'rd' WHEN 'drive' THEN 'dr' WHEN 'lane' THEN 'ln' WHEN 'court' THEN 'ct'
    WHEN 'place' THEN 'pl' WHEN 'parkway' THEN 'pkwy' WHEN 'highway' THEN 'hwy'
    WHEN 'terrace' THEN 'ter' WHEN 'crescent' THEN 'cres' WHEN 'square' THEN 'sq'
    WHEN 'north' THEN 'n' WHEN 'south' THEN 's' WHEN 'east' THEN 'e' WHEN 'west' THEN 'w'
    WHEN 'apartment' THEN 'apt' WHEN 'suite' THEN 'ste' WHEN 'unit' THEN 'unit'
    ELSE p_word
END;

-- A street line as a comparison key: lower case, punctuation dropped, words abbreviated
-- ("12 King Street West" and "12 King St. W" are both "12 king st w").
CREATE OR REPLACE MACRO address_key(p_line_1, p_line_2) AS nullif(array_to_string(
    list_transform(
        list_filter(
            string_split(regexp_replace(lower(strip_accents(concat_ws(' ', p_line_1, p_line_2))), '[^a-z0-9 ]', ' ', 'g'), ' '),
            lambda w: w <> ''),
        lambda w: street_word(w)),
    ' '), '');

-- A postal code as a key: US ZIP to its five digits, Canadian and others upper case without
-- spaces or dashes.
CREATE OR REPLACE MACRO postcode_key(p_zip, p_country) AS CASE
    WHEN p_country = 'US' THEN nullif(left(regexp_replace(p_zip, '[^0-9]', '', 'g'), 5), '')
    ELSE nullif(regexp_replace(upper(p_zip), '[^A-Z0-9]', '', 'g'), '')
END;

-- An e-mail, phone or street for a log, an alert or Dagster metadata: enough to tell two apart
-- while fixing a problem, never enough to contact the person.
CREATE OR REPLACE MACRO masked_email(p_email) AS
    CASE WHEN p_email IS NOT NULL THEN left(p_email, 1) || '***@' || split_part(p_email, '@', 2) END;
CREATE OR REPLACE MACRO masked_phone(p_phone) AS
    CASE WHEN p_phone IS NOT NULL THEN '***' || right(p_phone, 2) END;
