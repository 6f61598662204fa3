-- Build canonical.payroll_allocations for check dates $first..$last from the staged bases
-- (stage_payroll_item_bases.sql): each item's amount split over its parts by the
-- largest-remainder rule (sql/macros/largest_remainder.sql) in whole cents, so the parts sum to
-- the item exactly and each is within a cent of its exact share; the shares, split the same way
-- in units of 10⁻⁸, sum to exactly 1.
INSERT INTO canonical.payroll_allocations BY NAME
-- Most items go whole to one department: they skip the split.
WITH split AS (
    SELECT
        b.*,
        CASE WHEN len(b.parts) = 1 THEN [CAST(b.amount * 100 AS HUGEINT)]
             ELSE largest_remainder_parts(
                 CAST(b.amount * 100 AS HUGEINT), list_transform(b.parts, lambda p: p.weight))
        END AS part_cents,
        CASE WHEN len(b.parts) = 1 THEN [CAST(100000000 AS HUGEINT)]
             ELSE largest_remainder_parts(
                 CAST(100000000 AS HUGEINT), list_transform(b.parts, lambda p: p.weight))
        END AS part_shares
    FROM payroll_item_bases AS b
),
parts AS (
    SELECT
        business_date, run_key, legal_entity, currency, event_id, employee_number, item_class,
        item_code, allocation_basis,
        unnest(parts) AS part, unnest(part_cents) AS cents, unnest(part_shares) AS share_units
    FROM split
)
SELECT
    business_date, run_key, legal_entity, currency, event_id, employee_number, item_class,
    item_code,
    part.department_code, part.location_code, part.division,
    allocation_basis,
    CAST(CAST(share_units AS DECIMAL(18, 0)) * CAST(0.00000001 AS DECIMAL(9, 8)) AS DECIMAL(18, 8)) AS share,
    minor_to_amount(cents, 2) AS amount
FROM parts;
