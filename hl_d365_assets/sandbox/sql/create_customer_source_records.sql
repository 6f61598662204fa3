-- customer_source_records: what Heartland Retail, D365 CustomersV3 and the payment side hold
-- about the people of customer_people, in the shape the MDM stage files give every source
-- (sql/mdm/stage_*_customer_records.sql), with the variations real systems collect; and
-- customer_identity_truth, which record is which person (NULL: nobody, never a golden record).
--
-- Records of a person: a Heartland Retail record (90 % of people), a second (18 %) and third
-- (5 %) one typed again at the till; a D365 customer (30 %, and everyone without a Retail
-- record); a card token seen with one of their Retail records on a ticket (40 %). Every copy but
-- a person's first Retail record carries one variation: a typo in either name, the nickname,
-- first and last name swapped, a move (new street, zip and phone), a new e-mail, a Gmail dot or
-- plus alias, no e-mail, no phone. Phones are written in five ways and streets abbreviated half
-- of the time on every record. The walk-in customer (CASH) and tokens of anonymous tickets are
-- added too: they must never become golden records.

CREATE OR REPLACE MACRO swap_letters(p_text, p_position) AS CASE
    WHEN length(p_text) < 3 THEN p_text
    ELSE p_text[:p_position - 1] || p_text[p_position + 1] || p_text[p_position] || p_text[p_position + 2:]
END;

CREATE OR REPLACE MACRO phone_written(p_digits, p_format) AS CASE p_format
    WHEN 0 THEN '+1' || p_digits
    WHEN 1 THEN '(' || p_digits[1:3] || ') ' || p_digits[4:6] || '-' || p_digits[7:]
    WHEN 2 THEN p_digits[1:3] || '-' || p_digits[4:6] || '-' || p_digits[7:]
    WHEN 3 THEN p_digits[1:3] || '.' || p_digits[4:6] || '.' || p_digits[7:]
    ELSE '1 ' || p_digits[1:3] || ' ' || p_digits[4:6] || ' ' || p_digits[7:]
END;

CREATE OR REPLACE MACRO street_written(p_index, p_abbreviate) AS CASE
    WHEN p_abbreviate THEN getvariable('street_abbreviations')[1 + p_index]
    ELSE getvariable('streets')[1 + p_index]
END;

CREATE OR REPLACE TABLE customer_record_plan AS
WITH copies AS (
    -- copy 0: the first Retail record; 1, 2: Retail records typed again; 10: the D365 customer
    SELECT p.*, c.copy, c.source
    FROM customer_people AS p,
        (VALUES (0, 'heartland_retail'), (1, 'heartland_retail'), (2, 'heartland_retail'), (10, 'd365'))
            AS c(copy, source)
    WHERE CASE c.copy
        WHEN 0 THEN customer_draw(p.person, 'retail', 100) < 90
        WHEN 1 THEN customer_draw(p.person, 'retail', 100) < 90 AND customer_draw(p.person, 'dup', 100) < 18
        WHEN 2 THEN customer_draw(p.person, 'retail', 100) < 90 AND customer_draw(p.person, 'dup', 100) < 5
        ELSE customer_draw(p.person, 'd365', 100) < 30 OR customer_draw(p.person, 'retail', 100) >= 90
    END
)
SELECT
    *,
    -- variation 0 (none) for the first Retail record; copies draw one of nine
    CASE WHEN copy = 0 THEN 0 ELSE 1 + customer_draw(person * 16 + copy, 'variation', 9) END AS variation,
    customer_draw(person * 16 + copy, 'phone_format', 5) AS phone_format,
    customer_draw(person * 16 + copy, 'abbreviate', 2) = 1 AS abbreviate,
    customer_draw(person * 16 + copy, 'upper', 10) = 0 AS upper_case,
    2 + customer_draw(person * 16 + copy, 'typo_at', 3) AS typo_at
FROM copies;

CREATE OR REPLACE TABLE customer_source_records AS
WITH varied AS (
    SELECT
        p.*,
        CASE variation
            WHEN 2 THEN swap_letters(first_name, typo_at)
            WHEN 3 THEN nickname
            WHEN 4 THEN surname
            ELSE first_name
        END AS given,
        CASE variation
            WHEN 1 THEN swap_letters(surname, typo_at)
            WHEN 4 THEN first_name
            ELSE surname
        END AS family,
        CASE WHEN variation = 5
            THEN (1 + customer_draw(person, 'moved_house', 9899))::VARCHAR || ' '
                || street_written(customer_draw(person, 'moved_street', getvariable('streets_count')), abbreviate)
            ELSE house::VARCHAR || ' ' || street_written(street_index, abbreviate)
        END AS street,
        CASE WHEN variation = 5 AND country = 'US'
            THEN zip[:3] || lpad(customer_draw(person, 'moved_zip', 100)::VARCHAR, 2, '0')
            ELSE zip
        END AS postcode,
        CASE
            WHEN variation = 9 THEN NULL
            WHEN variation = 5 THEN area_code || '555' || lpad(customer_draw(person, 'moved_phone', 10000)::VARCHAR, 4, '0')
            ELSE phone_digits
        END AS phone_number,
        CASE
            WHEN variation = 8 THEN NULL
            WHEN variation = 6 THEN split_part(email, '@', 1) || 'x@' || mail_domain
            WHEN variation = 7 AND email LIKE '%@gmail.com' AND NOT shares_email
                THEN replace(split_part(email, '@', 1), '.', '') || '+shop@gmail.com'
            ELSE email
        END AS mail
    FROM customer_record_plan AS p
),
records AS (
    SELECT
        source,
        CASE source
            WHEN 'd365' THEN 'usrt/CUS-' || lpad(person::VARCHAR, 7, '0')
            ELSE (100000 + person * 3 + copy)::VARCHAR
        END AS source_key,
        CASE source WHEN 'heartland_retail' THEN 'C' || (100000 + person * 3 + copy)::VARCHAR END AS public_id,
        CASE source WHEN 'heartland_retail' THEN CASE WHEN upper_case THEN upper(given) ELSE given END END AS first_name,
        CASE source WHEN 'heartland_retail' THEN CASE WHEN upper_case THEN upper(family) ELSE family END END AS last_name,
        CASE source WHEN 'd365' THEN given || ' ' || family END AS full_name,
        CASE WHEN upper_case THEN upper(mail) ELSE mail END AS email,
        phone_written(phone_number, phone_format) AS phone,
        street AS address_1,
        NULL::VARCHAR AS address_2,
        city,
        state,
        postcode AS zip,
        CASE WHEN source = 'd365' THEN CASE country WHEN 'US' THEN 'USA' ELSE 'CAN' END ELSE country END AS country,
        CASE
            WHEN source = 'd365' THEN 'usrt/CUS-' || lpad(person::VARCHAR, 7, '0')
            -- a quarter of the Retail records of D365 customers carry the account in a custom field
            WHEN customer_draw(person, 'd365', 100) < 30 AND customer_draw(person * 16 + copy, 'custom_account', 4) = 0
                THEN 'usrt/CUS-' || lpad(person::VARCHAR, 7, '0')
        END AS d365_account,
        NULL::VARCHAR AS payment_token,
        NULL::VARCHAR AS card_first6,
        NULL::VARCHAR AS card_last4,
        NULL::VARCHAR AS seen_with_source_key,
        TIMESTAMPTZ '2026-11-01 00:00:00+00' - to_minutes((customer_draw(person, 'age', 500000) - copy * 20000)::BIGINT) AS updated_at,
        person
    FROM varied
),
tokens AS (
    -- a card seen with one of the person's Retail records on a ticket
    SELECT
        'payments' AS source,
        'TKN_' || upper(to_hex(hash(getvariable('customer_seed'), person, 'token'))) AS source_key,
        NULL AS public_id,
        NULL AS first_name,
        NULL AS last_name,
        -- GP-API payers carry the name as embossed, often masked: a weak source
        CASE WHEN customer_draw(person, 'masked', 2) = 0
            THEN upper(surname) || '/' || upper(first_name)
            ELSE upper(first_name[1]) || '*** ' || upper(surname)
        END AS full_name,
        NULL AS email, NULL AS phone, NULL AS address_1, NULL AS address_2, NULL AS city,
        NULL AS state, NULL AS zip, NULL AS country, NULL AS d365_account,
        'TKN_' || upper(to_hex(hash(getvariable('customer_seed'), person, 'token'))) AS payment_token,
        (400000 + customer_draw(person, 'bin', 100000))::VARCHAR AS card_first6,
        lpad(customer_draw(person, 'last4', 10000)::VARCHAR, 4, '0') AS card_last4,
        (100000 + person * 3)::VARCHAR AS seen_with_source_key,
        TIMESTAMPTZ '2026-11-01 00:00:00+00' - to_minutes(customer_draw(person, 'paid', 100000)) AS updated_at,
        person
    FROM customer_people
    WHERE customer_draw(person, 'retail', 100) < 90 AND customer_draw(person, 'card', 100) < 40
),
strays AS (
    -- the walk-in customer and cards of anonymous tickets: nobody to profile
    SELECT 'heartland_retail' AS source, '1' AS source_key, 'CASH' AS public_id, 'Walk-in' AS first_name,
        'Customer' AS last_name, NULL AS full_name, NULL AS email, NULL AS phone, NULL AS address_1,
        NULL AS address_2, NULL AS city, NULL AS state, NULL AS zip, NULL AS country,
        NULL AS d365_account, NULL AS payment_token, NULL AS card_first6, NULL AS card_last4,
        NULL AS seen_with_source_key, TIMESTAMPTZ '2026-01-01 00:00:00+00' AS updated_at,
        NULL::BIGINT AS person
    UNION ALL
    SELECT 'payments', 'TKN_ANON' || a::VARCHAR, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, NULL, NULL, 'TKN_ANON' || a::VARCHAR, '400000', lpad((a % 10000)::VARCHAR, 4, '0'),
        NULL, TIMESTAMPTZ '2026-11-01 00:00:00+00', NULL
    FROM range(1, 1 + getvariable('customer_people') // 50) AS t(a)
)
SELECT * FROM records
UNION ALL BY NAME SELECT * FROM tokens
UNION ALL BY NAME SELECT * FROM strays;

CREATE OR REPLACE TABLE customer_identity_truth AS
SELECT source, source_key, person FROM customer_source_records;

ALTER TABLE customer_source_records DROP COLUMN person;
