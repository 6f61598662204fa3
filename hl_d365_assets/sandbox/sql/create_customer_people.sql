-- customer_people: the true identities behind the sandbox's customer records
-- (customer_identities.py), grouped in households that share a surname and an address and, in
-- some, one family e-mail. Common first names and surnames make the same name fall to
-- different people, who then differ in address, phone and e-mail; relatives never share a first
-- name.
--
-- Variables set by customer_identities.py: customer_seed, customer_people, first_names,
-- nicknames, surnames, streets, cities (each 'City|ST|country|area code|zip prefix'),
-- mail_domains; the *_count variables hold their lengths.

-- A well-mixed draw in [0, m) for (key, salt): hashing twice makes salts independent.
CREATE OR REPLACE MACRO customer_draw(p_key, p_salt, p_m) AS
    (hash(hash(getvariable('customer_seed'), p_key, p_salt)) % p_m)::BIGINT;

CREATE OR REPLACE MACRO pick(p_list, p_key, p_salt) AS
    getvariable(p_list)[1 + customer_draw(p_key, p_salt, getvariable(p_list || '_count'))];

CREATE OR REPLACE TABLE customer_people AS
WITH households AS (
    -- 1 person in 60 % of households, 2 in 25 %, 3 in 15 %: about 1.55 people a household
    SELECT
        h AS household,
        CASE
            WHEN customer_draw(h, 'size', 100) < 60 THEN 1
            WHEN customer_draw(h, 'size', 100) < 85 THEN 2
            ELSE 3
        END AS size,
        pick('surnames', h, 'surname') AS surname,
        split_part(pick('cities', h, 'city'), '|', 1) AS city,
        split_part(pick('cities', h, 'city'), '|', 2) AS state,
        split_part(pick('cities', h, 'city'), '|', 3) AS country,
        split_part(pick('cities', h, 'city'), '|', 4) AS area_code,
        split_part(pick('cities', h, 'city'), '|', 5) AS zip_prefix,
        1 + customer_draw(h, 'house', 9899) AS house,
        customer_draw(h, 'street', getvariable('streets_count')) AS street_index,
        -- a third of the larger households give one family e-mail for everyone
        size > 1 AND customer_draw(h, 'family_mail', 3) = 0 AS shares_email
    FROM range(1, getvariable('customer_people') // 3 * 2 + 2) AS t(h)
),
members AS (
    SELECT h.*, m.member
    FROM households AS h, range(1, h.size + 1) AS m(member)
),
numbered AS (
    SELECT *, row_number() OVER (ORDER BY household, member) AS person,
        -- relatives get different first names (a Jr. is rare): members step through the list
        ((customer_draw(household, 'first', getvariable('first_names_count')) + member * 7)
            % getvariable('first_names_count'))::BIGINT AS first_draw
    FROM members
)
SELECT
    person,
    household,
    member,
    first_draw AS first_index,
    getvariable('first_names')[1 + first_draw] AS first_name,
    getvariable('nicknames')[1 + first_draw] AS nickname,
    surname,
    house::VARCHAR || ' ' || getvariable('streets')[1 + street_index] AS address_1,
    street_index,
    house,
    city,
    state,
    country,
    area_code,
    CASE
        WHEN country = 'CA' THEN zip_prefix || chr(65 + customer_draw(household, 'zip1', 26)::INTEGER)
            || ' ' || customer_draw(household, 'zip2', 10)::VARCHAR
            || chr(65 + customer_draw(household, 'zip3', 26)::INTEGER) || customer_draw(household, 'zip4', 10)::VARCHAR
        ELSE zip_prefix || lpad(customer_draw(household, 'zip', 100)::VARCHAR, 2, '0')
    END AS zip,
    -- 555 numbers: no real subscriber; 10 000 of them per area code
    area_code || '555' || lpad(customer_draw(person, 'phone', 10000)::VARCHAR, 4, '0') AS phone_digits,
    getvariable('mail_domains')[1 + customer_draw(person, 'domain', getvariable('mail_domains_count'))] AS mail_domain,
    CASE
        WHEN shares_email
            THEN 'the' || lower(regexp_replace(surname, '[^A-Za-z]', '', 'g'))
                || customer_draw(household, 'family_no', 1000)::VARCHAR || 's@'
                || getvariable('mail_domains')[1 + customer_draw(household, 'domain', getvariable('mail_domains_count'))]
        ELSE lower(getvariable('first_names')[1 + first_draw])
            || '.' || lower(regexp_replace(surname, '[^A-Za-z]', '', 'g'))
            || customer_draw(person, 'mail_no', 10000)::VARCHAR || '@'
            || getvariable('mail_domains')[1 + customer_draw(person, 'domain', getvariable('mail_domains_count'))]
    END AS email,
    shares_email
FROM numbered
WHERE person <= getvariable('customer_people');
