-- The project's one PCI card-number (PAN) scanner (DESIGN.md, "Card data (PCI DSS)").
--
-- Rule: a card number is a MAXIMAL run of digits in which consecutive digits may be separated by
-- one space or one dash, holding 13..19 digits, that passes the Luhn check, that starts with an
-- issuer number (IIN) of a card brand and has a length that brand issues, and that does not touch
-- an ASCII letter on either side. The rule is the same in every field of every record: no field
-- is exempt (an exempt field is where a misplaced PAN would load unseen).
-- * IIN and length, because a scheme's own transaction ids (a Visa transaction id is 15 digits),
--   deposit and reference numbers pass Luhn one time in ten; most of them start with a prefix no
--   brand issues, or have a length the brand of their prefix never issues.
-- * Maximal, because a Luhn-valid 16-digit window inside a 23-digit run is a reference number,
--   not a PAN, and a run of 20 or more digits is never a PAN.
-- * Not touching a letter, because a run glued to letters is part of an identifier: our own
--   POS references ('TKT-S001-20261120-000123-T1' holds the 17-digit run '001-20261120-000123')
--   and GP-API hex ids ('PMT_' + 32 hex) would otherwise be Luhn-valid one time in ten and block
--   healthy records. Underscores, quotes, colons, '#' and whitespace do not glue, so 'card_4111…',
--   '"pan":"4111…"' and 'PAN#4111…' are still found.
-- * Any other separator ('4111.1111.1111.1111', double spaces, slashes) ends the run, so such text
--   is not a card number under this rule.
--
-- Defined once here and used twice: set-based in the warehouse (install it on the connection) and
-- from Python through hl_d365_assets.pci, which runs this same file on a private connection.
-- NULL text holds no card number and masks to NULL.

-- Because the repetition is unbounded and greedy and RE2 takes the leftmost match, every match
-- starts at the first digit of its run and ends at its last: each match is exactly one maximal run
-- (runs shorter than 13 digits never match, so they stay in the text between matches).
CREATE OR REPLACE MACRO card_number_run_pattern() AS '[0-9](?:[ -]?[0-9]){12,}';

-- A necessary condition, cheap enough for every string of every record, so that the list and Luhn
-- work below only runs on the rare text holding a run of 13 to 19 digits that does not start
-- glued to a letter: the run starts at the beginning of the text, or after a character that is
-- neither letter, digit nor separator, or after a separator that does not follow a digit; and it
-- ends there, at the end of the text or before anything but a digit (a separator only when no
-- digit follows it). Matching 13 digits anywhere would flag every record carrying a
-- 'TKT-S001-20261120-000123' reference; matching a run's first 13 digits without its end would
-- flag every record with a longer run, such as a Heartland Retail event id
-- ('HR_tickets_<id>_<updated_at as 21 digits>'), and send all of them through the Luhn work.
-- Kept to plain ASCII classes, '^' and '$' so that it means the same to Python's re, which
-- hl_d365_assets.pci uses (reading it from here) to skip DuckDB for text that cannot hold a PAN.
CREATE OR REPLACE MACRO card_number_candidate_pattern() AS
    '(?:^|[^A-Za-z0-9 -]|(?:^|[^0-9])[ -])[0-9](?:[ -]?[0-9]){12,18}(?:$|[^0-9 -]|[ -](?:$|[^0-9]))';

CREATE OR REPLACE MACRO card_number_candidates(text) AS
    regexp_matches(text, card_number_candidate_pattern());

-- Each maximal run of 13+ digits with the text before and after it, as (before, run, after).
-- Splitting on the run pattern gives the text between runs, one more piece than there are runs.
CREATE OR REPLACE MACRO card_number_runs(text) AS
    list_zip(
        regexp_split_to_array(text, card_number_run_pattern())[:-2],
        regexp_extract_all(text, card_number_run_pattern()),
        regexp_split_to_array(text, card_number_run_pattern())[2:]
    );

-- The runs alone, exactly the second element of each card_number_runs() triple (the same
-- pattern, the same leftmost non-overlapping matches), for a screen that tests each distinct
-- run once (sql/raw/stage_card_number_suspects.sql).
CREATE OR REPLACE MACRO card_number_run_texts(text) AS
    regexp_extract_all(text, card_number_run_pattern());

CREATE OR REPLACE MACRO card_number_digits(run) AS
    regexp_replace(run, '[ -]', '', 'g');

-- Luhn over the digits read right to left: every second digit is doubled, and a doubled digit
-- of 10 or more counts as its digit sum (the list holds 2d, or 2d - 9, for d = 0..9).
CREATE OR REPLACE MACRO card_number_luhn_valid(digits) AS
    list_sum(
        list_transform(
            string_split(reverse(digits), ''),
            lambda digit, position: CASE
                WHEN position % 2 = 1 THEN CAST(digit AS INTEGER)
                ELSE [0, 2, 4, 6, 8, 1, 3, 5, 7, 9][CAST(digit AS INTEGER) + 1]
            END
        )
    ) % 10 = 0;

-- Issuer-number ranges and PAN lengths of the card brands, as (brand, first prefix, last
-- prefix, shortest, longest); a PAN is in a range when its first length(first prefix) digits lie
-- between the two prefixes. Taken from the brands' published ranges (ISO/IEC 7812 register as
-- summarised in Wikipedia's "Payment card number" table), generous where a brand's lengths vary:
-- Visa issues 13, 16 and 19 digits but its account-range table allows any length from 13 to 19,
-- so all of them count. Left out on purpose: UATP (airline accounts starting with 1, outside
-- PCI DSS), and national schemes that claim whole one- or two-digit prefixes already covered.
CREATE OR REPLACE MACRO card_number_brand_ranges() AS [
    {'brand': 'VISA', 'first': '4', 'last': '4', 'shortest': 13, 'longest': 19},
    {'brand': 'MASTERCARD', 'first': '51', 'last': '55', 'shortest': 16, 'longest': 16},
    {'brand': 'MASTERCARD', 'first': '2221', 'last': '2720', 'shortest': 16, 'longest': 16},
    {'brand': 'AMEX', 'first': '34', 'last': '34', 'shortest': 15, 'longest': 15},
    {'brand': 'AMEX', 'first': '37', 'last': '37', 'shortest': 15, 'longest': 15},
    {'brand': 'DISCOVER', 'first': '6011', 'last': '6011', 'shortest': 16, 'longest': 19},
    {'brand': 'DISCOVER', 'first': '644', 'last': '649', 'shortest': 16, 'longest': 19},
    {'brand': 'DISCOVER', 'first': '65', 'last': '65', 'shortest': 16, 'longest': 19},
    {'brand': 'DISCOVER', 'first': '622126', 'last': '622925', 'shortest': 16, 'longest': 19},
    {'brand': 'DINERS', 'first': '300', 'last': '305', 'shortest': 14, 'longest': 19},
    {'brand': 'DINERS', 'first': '3095', 'last': '3095', 'shortest': 14, 'longest': 19},
    {'brand': 'DINERS', 'first': '36', 'last': '36', 'shortest': 14, 'longest': 19},
    {'brand': 'DINERS', 'first': '38', 'last': '39', 'shortest': 14, 'longest': 19},
    {'brand': 'JCB', 'first': '3528', 'last': '3589', 'shortest': 16, 'longest': 19},
    {'brand': 'UNIONPAY', 'first': '62', 'last': '62', 'shortest': 16, 'longest': 19},
    {'brand': 'UNIONPAY', 'first': '81', 'last': '81', 'shortest': 16, 'longest': 19},
    {'brand': 'MAESTRO', 'first': '5018', 'last': '5018', 'shortest': 12, 'longest': 19},
    {'brand': 'MAESTRO', 'first': '5020', 'last': '5020', 'shortest': 12, 'longest': 19},
    {'brand': 'MAESTRO', 'first': '5038', 'last': '5038', 'shortest': 12, 'longest': 19},
    {'brand': 'MAESTRO', 'first': '5893', 'last': '5893', 'shortest': 12, 'longest': 19},
    {'brand': 'MAESTRO', 'first': '6304', 'last': '6304', 'shortest': 12, 'longest': 19},
    {'brand': 'MAESTRO', 'first': '6759', 'last': '6759', 'shortest': 12, 'longest': 19},
    {'brand': 'MAESTRO', 'first': '6761', 'last': '6763', 'shortest': 12, 'longest': 19},
    {'brand': 'DANKORT', 'first': '5019', 'last': '5019', 'shortest': 16, 'longest': 16},
    {'brand': 'MIR', 'first': '2200', 'last': '2204', 'shortest': 16, 'longest': 19},
    {'brand': 'BORICA', 'first': '2205', 'last': '2205', 'shortest': 16, 'longest': 16},
    {'brand': 'RUPAY', 'first': '60', 'last': '60', 'shortest': 16, 'longest': 16},
    {'brand': 'RUPAY', 'first': '82', 'last': '82', 'shortest': 16, 'longest': 16},
    {'brand': 'RUPAY', 'first': '508', 'last': '508', 'shortest': 16, 'longest': 16},
    {'brand': 'RUPAY', 'first': '353', 'last': '353', 'shortest': 16, 'longest': 16},
    {'brand': 'RUPAY', 'first': '356', 'last': '356', 'shortest': 16, 'longest': 16},
    {'brand': 'TROY', 'first': '9792', 'last': '9792', 'shortest': 16, 'longest': 16},
    {'brand': 'VERVE', 'first': '506099', 'last': '506198', 'shortest': 16, 'longest': 19},
    {'brand': 'VERVE', 'first': '507865', 'last': '507964', 'shortest': 16, 'longest': 19},
    {'brand': 'VERVE', 'first': '650002', 'last': '650027', 'shortest': 16, 'longest': 19},
    {'brand': 'INTERPAYMENT', 'first': '636', 'last': '636', 'shortest': 16, 'longest': 19},
    {'brand': 'INSTAPAYMENT', 'first': '637', 'last': '639', 'shortest': 16, 'longest': 16},
    {'brand': 'UZCARD', 'first': '8600', 'last': '8600', 'shortest': 16, 'longest': 16},
    {'brand': 'HUMO', 'first': '9860', 'last': '9860', 'shortest': 16, 'longest': 16}
];

-- Prefixes of one range have the same number of digits, so comparing them as text is comparing
-- them as numbers.
CREATE OR REPLACE MACRO card_number_in_brand_range(digits) AS
    len(list_filter(
        card_number_brand_ranges(),
        lambda r: left(digits, length(r.first)) BETWEEN r.first AND r.last
            AND length(digits) BETWEEN r.shortest AND r.longest
    )) > 0;

CREATE OR REPLACE MACRO card_number_is_pan(before, run, after) AS
    CASE
        WHEN regexp_matches(right(before, 1) || left(after, 1), '[A-Za-z]') THEN false
        WHEN length(card_number_digits(run)) BETWEEN 13 AND 19
            THEN card_number_in_brand_range(card_number_digits(run))
                AND card_number_luhn_valid(card_number_digits(run))
        ELSE false
    END;

-- Whether a run is a PAN in at least one context: card_number_is_pan() reads the text around
-- a run only to reject it (a letter glued to either side), so a run that fails here is no PAN
-- wherever it stands, and a text none of whose runs passes here holds no card number. Depends
-- on the run alone, so a screen can test each distinct run once however many lines repeat it
-- (every register line of a pay run carries its id, '20261118-20261120', 16 digits).
CREATE OR REPLACE MACRO card_number_run_may_be_pan(run) AS
    card_number_is_pan('', run, '');

-- PCI DSS allows first six and last four to be kept; separators go so the masked form is one
-- token, the same shape as GP-API's masked_number_first6last4.
CREATE OR REPLACE MACRO card_number_masked(run) AS
    left(card_number_digits(run), 6)
    || repeat('X', length(card_number_digits(run)) - 10)
    || right(card_number_digits(run), 4);

-- The matched substrings exactly as they appear in the text (separators included), so a caller
-- can locate them. They are raw PANs: mask them before they go anywhere.
CREATE OR REPLACE MACRO card_numbers(text) AS
    CASE
        WHEN card_number_candidates(text) THEN list_transform(
            list_filter(
                card_number_runs(text),
                lambda context: card_number_is_pan(context[1], context[2], context[3])
            ),
            lambda context: context[2]
        )
        ELSE CAST([] AS VARCHAR[])
    END;

CREATE OR REPLACE MACRO has_card_number(text) AS
    len(card_numbers(text)) > 0;

-- Rebuilt as piece, run, piece, run, ..., piece with each PAN masked and every other run,
-- over-long ones included, left exactly as it was.
CREATE OR REPLACE MACRO mask_card_numbers(text) AS
    CASE
        WHEN card_number_candidates(text)
            THEN regexp_split_to_array(text, card_number_run_pattern())[1]
            || array_to_string(
                list_transform(
                    card_number_runs(text),
                    lambda context: CASE
                        WHEN card_number_is_pan(context[1], context[2], context[3])
                            THEN card_number_masked(context[2])
                        ELSE context[2]
                    END || context[3]
                ),
                ''
            )
        ELSE text
    END;
