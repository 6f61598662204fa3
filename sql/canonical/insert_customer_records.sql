-- canonical.customer_records from customer_source_records (one temporary table every source's
-- stage file fills: sql/mdm/stage_*_customer_records.sql, or the sandbox's identities), whole.
-- Left out, and counted by count_excluded_customer_records.sql: the walk-in customer (Retail
-- public_id CASH) and cards not seen with exactly one customer (anonymous tickets, shared cards).
DELETE FROM canonical.customer_records;

INSERT INTO canonical.customer_records
WITH named AS (
    SELECT
        s.*,
        country_code(s.country) AS country_iso,
        -- D365 keeps one name; cards read LAST/FIRST, or F*** LAST when masked
        CASE
            WHEN s.first_name IS NOT NULL OR s.last_name IS NOT NULL THEN trim(s.first_name)
            WHEN s.full_name LIKE '%/%' THEN trim(split_part(s.full_name, '/', 2))
            ELSE trim(split_part(trim(s.full_name), ' ', 1))
        END AS given,
        CASE
            WHEN s.first_name IS NOT NULL OR s.last_name IS NOT NULL THEN trim(s.last_name)
            WHEN s.full_name LIKE '%/%' THEN trim(split_part(s.full_name, '/', 1))
            ELSE nullif(trim(substr(trim(s.full_name), length(split_part(trim(s.full_name), ' ', 1)) + 1)), '')
        END AS family
    FROM customer_source_records AS s
    WHERE coalesce(s.public_id, '') <> 'CASH'
        AND NOT (s.source = 'payments' AND s.seen_with_source_key IS NULL)
)
SELECT
    n.source || ':' || n.source_key AS record_key,
    n.source,
    n.source_key,
    n.public_id,
    n.given AS first_name,
    n.family AS last_name,
    -- a masked card name (R***) tells the initial only
    CASE WHEN n.given LIKE '%*%' THEN NULL ELSE name_key(n.given) END AS first_name_key,
    CASE WHEN n.given LIKE '%*%' THEN NULL ELSE coalesce(nick.given_name, name_key(n.given)) END AS given_name_key,
    name_key(n.family) AS last_name_key,
    left(name_key(n.given), 1) AS first_initial,
    email_written(n.email) AS email,
    email_mailbox(n.email) AS email_mailbox,
    phone_e164(n.phone, n.country_iso) AS phone_e164,
    n.address_1,
    n.address_2,
    address_key(n.address_1, n.address_2) AS address_key,
    n.city,
    name_key(n.city) AS city_key,
    upper(trim(n.state)) AS state,
    postcode_key(n.zip, n.country_iso) AS postcode,
    n.country_iso AS country_code,
    n.d365_account,
    n.payment_token,
    n.card_first6,
    n.card_last4,
    CASE WHEN n.seen_with_source_key IS NOT NULL THEN 'heartland_retail:' || n.seen_with_source_key END
        AS seen_with_record_key,
    n.updated_at AS source_updated_at,
    $now AS standardised_at
FROM named AS n
LEFT JOIN ref.customer_nicknames AS nick ON nick.nickname = name_key(n.given);
