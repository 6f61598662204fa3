-- golden_attributes: each golden customer's surviving values, one rule per attribute from
-- ref.mdm_survivorship. A record's rank under a rule is a list compared element by element:
-- source_priority [source's place, newest first], most_recent [newest first, source's place],
-- most_complete [most parts first, newest first, source's place]. A source not listed ranks last.
CREATE OR REPLACE MACRO survivor_rank(p_rule, p_source_place, p_updated_at, p_parts) AS CASE p_rule
    WHEN 'source_priority' THEN [p_source_place, -epoch(p_updated_at), 0]
    WHEN 'most_recent' THEN [-epoch(p_updated_at), p_source_place, 0]
    WHEN 'most_complete' THEN [-p_parts, -epoch(p_updated_at), p_source_place]
END;

CREATE OR REPLACE TEMP TABLE golden_attributes AS
WITH records AS (
    SELECT g.golden_id, r.*,
        (r.address_1 IS NOT NULL)::INTEGER + (r.city IS NOT NULL)::INTEGER
            + (r.postcode IS NOT NULL)::INTEGER + (r.country_code IS NOT NULL)::INTEGER AS address_parts,
        coalesce(r.source_updated_at, r.standardised_at) AS updated
    FROM record_golden AS g
    JOIN canonical.customer_records AS r USING (record_key)
),
ranked AS (
    SELECT r.*,
        survivor_rank(n.rule, coalesce(list_position(n.source_order, r.source), 99), r.updated, 0) AS name_rank,
        survivor_rank(e.rule, coalesce(list_position(e.source_order, r.source), 99), r.updated, 0) AS email_rank,
        survivor_rank(p.rule, coalesce(list_position(p.source_order, r.source), 99), r.updated, 0) AS phone_rank,
        survivor_rank(a.rule, coalesce(list_position(a.source_order, r.source), 99), r.updated, r.address_parts) AS address_rank
    FROM records AS r
    LEFT JOIN ref.mdm_survivorship AS n ON n.attribute = 'name'
    LEFT JOIN ref.mdm_survivorship AS e ON e.attribute = 'email'
    LEFT JOIN ref.mdm_survivorship AS p ON p.attribute = 'phone'
    LEFT JOIN ref.mdm_survivorship AS a ON a.attribute = 'address'
)
SELECT
    golden_id,
    -- a full, unmasked name survives before an initial
    arg_min({'first': first_name, 'last': last_name}, [CASE WHEN first_name_key IS NOT NULL AND last_name_key IS NOT NULL THEN 0 ELSE 1 END] || name_rank)
        FILTER (WHERE last_name_key IS NOT NULL) AS name,
    arg_min(email, email_rank) FILTER (WHERE email IS NOT NULL) AS email,
    arg_min(phone_e164, phone_rank) FILTER (WHERE phone_e164 IS NOT NULL) AS phone_e164,
    arg_min({'address_1': address_1, 'address_2': address_2, 'city': city, 'state': state,
             'postcode': postcode, 'country_code': country_code}, address_rank)
        FILTER (WHERE address_parts > 0) AS address,
    count(*) AS record_count,
    count(*) FILTER (WHERE source = 'heartland_retail') AS retail_record_count,
    count(*) FILTER (WHERE source = 'd365') AS d365_record_count,
    count(*) FILTER (WHERE source = 'payments') AS payment_record_count,
    list_sort(list(source_key) FILTER (WHERE source = 'd365')) AS d365_accounts
FROM ranked
GROUP BY golden_id;
