-- D365's AccountDisplayValue from a line's segment values in the order of
-- mappings/gl_account_structure.csv (docs/ledger-and-posting.md): a '-' inside a value escaped as
-- '\-', the segments joined by '-', trailing empty segments left out (110100, not 110100--).
-- One definition for every journal the pipeline builds (the day's and the pay runs').
CREATE OR REPLACE MACRO display_account(segment_values) AS
    array_to_string(
        list_transform(segment_values, lambda v: replace(coalesce(v, ''), '-', '\-'))[
            1 : len(segment_values) - coalesce(
                list_position(
                    list_transform(list_reverse(segment_values), lambda v: coalesce(v, '') <> ''),
                    true
                ) - 1,
                0
            )
        ],
        '-'
    );
