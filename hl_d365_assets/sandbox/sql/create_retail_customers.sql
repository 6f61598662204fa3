-- retail_customers: the people on file at each store of the day in the day's week, with the
-- duplicate records a POS collects (customers.py), and retail_customers_documents rendering them.
--
-- A store-week has people 1..250; 12 % of them are on file a second time (number 300 + person)
-- and a quarter of those a third time (600 + person), each extra record differing by one
-- `variation`: a typo in the last name, the nickname, another email, or the street and phone
-- written another way (extra records often write the phone another way too). Draws depend on
-- store and week only (customer_draw), so every day of a week builds the same people.
--
-- Variables set by retail_store.py: retail_first_names, retail_nicknames, retail_surnames,
-- retail_streets, retail_street_abbreviations, retail_email_domains.

-- A typed-in last name with two neighbouring letters swapped, or one dropped when they are equal.
CREATE OR REPLACE MACRO name_typo(p_name, p_position) AS CASE
    WHEN p_name[p_position] <> p_name[p_position + 1]
        THEN p_name[:p_position - 1] || p_name[p_position + 1] || p_name[p_position] || p_name[p_position + 2:]
    ELSE p_name[:p_position - 1] || p_name[p_position + 1:]
END;

CREATE OR REPLACE MACRO phone_text(p_area_code, p_number, p_format) AS CASE p_format
    WHEN 0 THEN '+1' || p_area_code || '555' || p_number
    WHEN 1 THEN '(' || p_area_code || ') 555-' || p_number
    WHEN 2 THEN p_area_code || '-555-' || p_number
    WHEN 3 THEN p_area_code || '.555.' || p_number
    ELSE '1 ' || p_area_code || ' 555 ' || p_number
END;

CREATE OR REPLACE MACRO email_local(p_name) AS lower(regexp_replace(p_name, '[^A-Za-z]', '', 'g'));

CREATE OR REPLACE TABLE retail_customers AS
WITH people AS (
    SELECT
        l.location_id,
        l.store_id,
        l.city,
        l.state,
        l.country,
        l.area_code,
        l.zip_prefix,
        n.person,
        1 + (n.person * 7 + customer_draw(l.location_id, 0, 'first_shift', 32)) % 32 AS first_index,
        1 + (n.person // 32 + customer_draw(l.location_id, 0, 'surname_shift', 30)) % 30 AS surname_index,
        -- 7919 is prime to 10 000, so the people of a store-week have distinct phone numbers
        lpad(((n.person * 7919 + l.location_id * 131 + retail_week_number() * 17) % 10000)::VARCHAR, 4, '0')
            AS phone_number,
        customer_draw(l.location_id, n.person, 'phone_format', 5) AS phone_format,
        1 + customer_draw(l.location_id, n.person, 'house', 2999) AS house,
        1 + customer_draw(l.location_id, n.person, 'street', 10) AS street_index,
        CASE
            WHEN l.country = 'CA' THEN l.zip_prefix || chr(65 + customer_draw(l.location_id, n.person, 'zip1', 26)::INTEGER)
                || ' ' || customer_draw(l.location_id, n.person, 'zip2', 10)
                || chr(65 + customer_draw(l.location_id, n.person, 'zip3', 26)::INTEGER)
                || customer_draw(l.location_id, n.person, 'zip4', 10)
            ELSE l.zip_prefix || lpad(customer_draw(l.location_id, n.person, 'zip', 100)::VARCHAR, 2, '0')
        END AS zip,
        customer_draw(l.location_id, n.person, 'email', 100) >= 8 AS has_email,
        1 + customer_draw(l.location_id, n.person, 'domain', 3) AS domain_index,
        -- who was on file before the week began: signed up 1 hour to 60 days before its Monday
        ordinal_epoch_ms(730122 + 7 * retail_week_number())
            - 3600000 * (1 + customer_draw(l.location_id, n.person, 'signed_up', 1440)) AS created_ms,
        customer_draw(l.location_id, n.person, 'duplicate', 100) < 12 AS has_duplicate,
        customer_draw(l.location_id, n.person, 'third_record', 100) < 25 AS has_third_record
    FROM stores AS st
    JOIN retail_locations AS l USING (store_id)
    CROSS JOIN range(1, 251) AS n(person)
),

records AS (
    SELECT *, 0 AS copy FROM people
    UNION ALL
    SELECT *, 1 AS copy FROM people WHERE has_duplicate
    UNION ALL
    SELECT *, 2 AS copy FROM people WHERE has_duplicate AND has_third_record
),

varied AS (
    SELECT
        r.*,
        r.person + 300 * r.copy AS number,
        getvariable('retail_first_names')[r.first_index] AS first,
        getvariable('retail_nicknames')[r.first_index] AS nickname,
        getvariable('retail_surnames')[r.surname_index] AS surname,
        CASE
            WHEN r.copy = 0 THEN NULL
            WHEN customer_draw(r.location_id, r.person + 300 * r.copy, 'variation', 4) = 1
                AND getvariable('retail_nicknames')[r.first_index] <> getvariable('retail_first_names')[r.first_index]
                THEN 'nickname'
            ELSE ['typo', 'typo', 'email', 'format'][1 + customer_draw(r.location_id, r.person + 300 * r.copy, 'variation', 4)]
        END AS variation,
        r.copy > 0 AND customer_draw(r.location_id, r.person + 300 * r.copy, 'reformat', 100) < 50 AS reformatted
    FROM records AS r
)

SELECT
    location_id,
    store_id,
    person,
    copy,
    number,
    retail_customer_id(retail_week_number(), location_id, number) AS id,
    retail_customer_id(retail_week_number(), location_id, person) AS person_id,
    variation,
    CASE WHEN variation = 'nickname' THEN nickname ELSE first END AS first_name,
    CASE
        WHEN variation = 'typo' THEN name_typo(surname, 2 + customer_draw(location_id, number, 'typo_at', length(surname) - 2)::INTEGER)
        ELSE surname
    END AS last_name,
    CASE
        -- (first name, surname) is unique within a store-week and the number after it is the
        -- store-week's, so two people never share an email
        WHEN variation = 'email' THEN email_local(surname) || '.' || email_local(first)
            || lpad(((retail_week_number() % 100) * 10 + location_id % 10)::VARCHAR, 3, '0')
            || '@' || getvariable('retail_email_domains')[1 + domain_index % 3]
        WHEN has_email THEN email_local(first) || '.' || email_local(surname)
            || lpad(((retail_week_number() % 100) * 10 + location_id % 10)::VARCHAR, 3, '0')
            || '@' || getvariable('retail_email_domains')[domain_index]
    END AS email,
    house || ' ' || CASE
        WHEN variation = 'format' OR reformatted THEN getvariable('retail_street_abbreviations')[street_index]
        ELSE getvariable('retail_streets')[street_index]
    END AS address_1,
    city,
    state,
    zip,
    country,
    phone_text(
        area_code,
        phone_number,
        CASE
            WHEN variation = 'format' OR reformatted
                THEN (phone_format + 1 + customer_draw(location_id, number, 'other_format', 4)) % 5
            ELSE phone_format
        END
    ) AS phone,
    -- a duplicate record is typed in between its person's sign-up and the week's Monday
    CASE
        WHEN copy = 0 THEN created_ms
        ELSE created_ms + (ordinal_epoch_ms(730122 + 7 * retail_week_number()) - created_ms)
            * (copy * 30 + customer_draw(location_id, number, 'typed_in', 30)) // 100
    END AS created_ms
FROM varied;

CREATE OR REPLACE VIEW retail_customers_documents AS
SELECT
    id AS sort_key,
    concat(
        '{"id":', id,
        ',"public_id":"', id,
        '","first_name":', to_json(first_name),
        ',"last_name":', to_json(last_name),
        ',"email":', coalesce(to_json(email)::VARCHAR, 'null'),
        ',"active":true,"custom":{},"created_at":"', utc_text(created_ms),
        '","updated_at":"', utc_text(created_ms),
        '","addresses":[{"id":', id,
        ',"customer_id":', id,
        ',"first_name":', to_json(first_name),
        ',"last_name":', to_json(last_name),
        ',"address_1":', to_json(address_1),
        ',"address_2":null,"city":', to_json(city),
        ',"state":"', state,
        '","zip":"', zip,
        '","country":"', country,
        '","phone":"', phone,
        '"}]}'
    ) AS line
FROM retail_customers;

-- The walk-in customer anonymous sales are booked to (Heartland's importer: public_id CASH).
CREATE OR REPLACE VIEW retail_walk_in_customer_document AS
SELECT concat(
    '{"id":', retail_walk_in_customer_id(),
    ',"public_id":"CASH","first_name":"Walk-in","last_name":"Customer","email":null,"active":true,"custom":{},"created_at":"',
    getvariable('retail_catalogue_time'), '","updated_at":"', getvariable('retail_catalogue_time'), '","addresses":[]}'
) AS line;

-- The ground truth of the customers issue: each person on file more than once, with how each
-- extra record differs.
CREATE OR REPLACE VIEW retail_customer_duplicates_documents AS
SELECT
    min(id) AS sort_key,
    concat(
        '{"store_id":"', any_value(store_id),
        '","week_of":"', strftime(epoch_ms(ordinal_epoch_ms(730122 + 7 * retail_week_number())), '%Y-%m-%d'),
        '","person_id":', any_value(person_id),
        ',"customer_ids":[', string_agg(id::VARCHAR, ',' ORDER BY copy),
        '],"variations":[', string_agg(CASE WHEN copy > 0 THEN '"' || variation || '"' END, ',' ORDER BY copy),
        ']}'
    ) AS line
FROM retail_customers
GROUP BY location_id, person
HAVING count(*) > 1;
