-- Cent-exact splitting by the largest-remainder rule (Hamilton's method), in integers only.
--
-- largest_remainder_parts(total, weights): ``total`` in integer minor units (cents; any sign),
-- ``weights`` a list of non-negative integers, not all zero; part i is total × wᵢ / Σw rounded so
-- that the parts sum to ``total`` exactly: every part first gets the floor of its exact share
-- (of |total|), then the cents still missing go one each to the parts with the largest
-- remainders; equal remainders go to the part earlier in the list (callers order the list by a
-- stated key, so the result is deterministic). Each part is within one cent of its exact share,
-- and a negative total splits as the exact negation of the positive one, so a void reverses its
-- check department by department to the cent.
-- Integers (HUGEINT) throughout: DuckDB turns DECIMAL division into DOUBLE.
CREATE OR REPLACE MACRO largest_remainder_floors(total, weights) AS
    list_transform(weights, lambda w: abs(total) * w // list_sum(weights));

CREATE OR REPLACE MACRO largest_remainder_parts(total, weights) AS
    list_transform(
        list_zip(
            largest_remainder_floors(total, weights),
            -- The rank of each part when ordered by remainder (largest first), then position.
            list_grade_up(list_grade_up(list_transform(
                weights,
                lambda w, i: {'remainder': -(abs(total) * w % list_sum(weights)), 'position': i}
            )))
        ),
        lambda part: sign(total) * (
            part[1]
            + CASE WHEN part[2] <= abs(total) - list_sum(largest_remainder_floors(total, weights))
                   THEN 1 ELSE 0 END
        )
    );
