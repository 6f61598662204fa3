-- The scanner's rules for employee data (issue 17): US Social Security numbers, ABA routing
-- numbers, bank account numbers and dates of birth. Part of the project's one scanner
-- (card_numbers.sql holds its card-number rule): the raw layer runs both over every landed line
-- of the payroll and bank entities, whole, every field alike, nested or unmapped; the Python face
-- (hl_d365_assets.pci) runs these same macros for log records. docs/payroll-intake.md states the
-- rules in words.
--
-- * SSN: 'NNN-NN-NNNN', 'NNN NN NNNN' or 9 bare digits, not touching another digit or a letter
--   (nor a decimal point or comma followed by a digit: 123456789.00 is an amount), outside the
--   ranges the SSA never issues: area 000, 666 or 900-999, group 00, serial 0000.
-- * ABA routing number: 9 bare digits (same isolation) whose first two digits lie in the Federal
--   Reserve's ranges (00-12, 21-32, 61-72, 80) and that pass the 3-7-1 checksum. Nine bare digits
--   that pass it count as a routing number rather than an SSN; either way the line is blocked.
-- * Bank account: a run of 5-17 digits (single spaces or dashes between digits allowed) that
--   follows a label naming an account (account, acct, a/c, DDA, optionally with number/no/#)
--   with at most 6 characters between them that are neither letters nor digits. A JSON key is a
--   label too, so '"Bank Account":"000123456789"' is found; '"account_last4":"1234"' is not (a
--   letter follows the label, and 4 digits are what we keep on purpose).
-- * Date of birth: a date (YYYY-MM-DD or M/D/YY[YY], '/', '-' or '.') that follows a label naming
--   a birth (date of birth, birth date, birthday, birth, DOB, D.O.B., born), the same 6-character
--   window; again a JSON key such as "date_of_birth" is a label.
-- NULL text holds nothing and masks to NULL.

-- A necessary condition, cheap enough for every line and every log record: something SSN- or
-- routing-shaped standing alone (neither rule takes a run glued to a letter or another digit, so
-- neither does this: a pay run id such as 20261118-20261120, on every register line, holds
-- "118-20-2611" inside its digits and used to send every line through the full rules), or one
-- of the labels. Plain ASCII classes so Python's re reads it the same way.
CREATE OR REPLACE MACRO personal_data_candidate_pattern() AS
    '(?i)(?:^|[^0-9A-Za-z])[0-9]{3}[ -]?[0-9]{2}[ -]?[0-9]{4}(?:[^0-9A-Za-z]|$)|account|acct|a/c|dda|dob|d\.o\.b|birth|born';

CREATE OR REPLACE MACRO personal_data_candidates(text) AS
    regexp_matches(text, personal_data_candidate_pattern());

-- Maximal digit runs joined by single dashes (for 'NNN-NN-NNNN' and bare runs), or by single
-- spaces (for 'NNN NN NNNN'), as (before, run, after, wider before, wider after): the same
-- split-and-extract as card_number_runs, where before and after are the text between runs; the
-- wider ones reach into the neighbouring runs, so '123456789.00' shows its run is followed by
-- decimals.
CREATE OR REPLACE MACRO personal_digit_runs(text, run_pattern) AS
    list_transform([regexp_extract_all(text, run_pattern)], lambda runs: list_transform(
        list_zip(
            regexp_split_to_array(text, run_pattern)[:-2],
            runs,
            regexp_split_to_array(text, run_pattern)[2:],
            list_slice([''] || runs, 1, len(runs)),
            list_slice(runs || [''], 2, len(runs) + 1)
        ),
        lambda z: [z[1], z[2], z[3], z[4] || z[1], z[3] || z[5]]))[1];

CREATE OR REPLACE MACRO personal_dash_runs() AS '[0-9]+(?:-[0-9]+)*';
CREATE OR REPLACE MACRO personal_space_runs() AS '[0-9]+(?: [0-9]+)*';

-- Not glued to a letter or digit on either side, and not the integer part or the decimals of a
-- number written with a point or comma.
CREATE OR REPLACE MACRO personal_run_isolated(before, after) AS
    NOT regexp_matches(right(before, 1) || left(after, 1), '[A-Za-z0-9]')
    AND NOT regexp_matches(right(before, 2), '[0-9][.,]$')
    AND NOT regexp_matches(left(after, 2), '^[.,][0-9]');

CREATE OR REPLACE MACRO ssn_in_issued_range(digits) AS
    regexp_full_match(digits, '[0-9]{9}')
    AND left(digits, 3) NOT IN ('000', '666')
    AND left(digits, 1) <> '9'
    AND substr(digits, 4, 2) <> '00'
    AND right(digits, 4) <> '0000';

-- 3-7-1: 3(d1 + d4 + d7) + 7(d2 + d5 + d8) + (d3 + d6 + d9) is a multiple of 10. The
-- all-zero number passes the sum and lies in range 00 but is no routing number.
CREATE OR REPLACE MACRO aba_routing_number_valid(digits) AS
    regexp_full_match(digits, '[0-9]{9}')
    AND digits <> '000000000'
    AND (
        CAST(left(digits, 2) AS INTEGER) BETWEEN 0 AND 12
        OR CAST(left(digits, 2) AS INTEGER) BETWEEN 21 AND 32
        OR CAST(left(digits, 2) AS INTEGER) BETWEEN 61 AND 72
        OR CAST(left(digits, 2) AS INTEGER) = 80
    )
    AND list_sum(list_transform(
        string_split(digits, ''),
        lambda digit, position: CAST(digit AS INTEGER) * [3, 7, 1, 3, 7, 1, 3, 7, 1][position]
    )) % 10 = 0;

-- What a dash-joined or bare run is: 'ssn', 'routing_number' or NULL.
CREATE OR REPLACE MACRO personal_dash_run_kind(before, run, after) AS
    CASE
        WHEN NOT personal_run_isolated(before, after) THEN NULL
        WHEN regexp_full_match(run, '[0-9]{3}-[0-9]{2}-[0-9]{4}')
            AND ssn_in_issued_range(replace(run, '-', '')) THEN 'ssn'
        WHEN aba_routing_number_valid(run) THEN 'routing_number'
        WHEN ssn_in_issued_range(run) THEN 'ssn'
    END;

CREATE OR REPLACE MACRO personal_space_run_kind(before, run, after) AS
    CASE
        WHEN personal_run_isolated(before, after)
            AND regexp_full_match(run, '[0-9]{3} [0-9]{2} [0-9]{4}')
            AND ssn_in_issued_range(replace(run, ' ', '')) THEN 'ssn'
    END;

-- Masks keep the last four digits, in the shape the number was written: XXX-XX-1234, XXXXX1234.
CREATE OR REPLACE MACRO personal_run_masked(run) AS
    regexp_replace(left(run, length(run) - 4), '[0-9]', 'X', 'g') || right(run, 4);

-- Label, then at most 6 characters that are neither letter nor digit, then the value.
CREATE OR REPLACE MACRO bank_account_pattern() AS
    '(?i)(?:account|acct|a/c|dda)(?:[ _.-]*(?:number|num|nbr|no|#))?[^A-Za-z0-9]{0,6}[0-9](?:[ -]?[0-9]){4,16}';

CREATE OR REPLACE MACRO date_of_birth_pattern() AS
    '(?i)(?:date[ _-]?of[ _-]?birth|birth[ _-]?date|birthday|birth|d\.?o\.?b\.?|born(?: on)?)[^A-Za-z0-9]{0,6}(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}[/.-][0-9]{1,2}[/.-](?:[0-9]{4}|[0-9]{2}))';

-- A labelled match counts when its value ends the digits there (a longer run is something else:
-- the card rule's business, or an id) and is not the integer part of a decimal number.
CREATE OR REPLACE MACRO personal_labelled_value_ends(after) AS
    NOT regexp_matches(left(after, 1), '[A-Za-z0-9]')
    AND NOT regexp_matches(left(after, 2), '^[ .,-][0-9]');

-- An account number keeps its last four digits; a date of birth keeps nothing.
CREATE OR REPLACE MACRO bank_account_masked(found) AS
    regexp_replace(found, '[0-9](?:[ -]?[0-9])*$', '')
    || repeat('X', length(regexp_replace(regexp_extract(found, '[0-9](?:[ -]?[0-9])*$'), '[^0-9]', '', 'g')) - 4)
    || right(regexp_replace(regexp_extract(found, '[0-9](?:[ -]?[0-9])*$'), '[^0-9]', '', 'g'), 4);

CREATE OR REPLACE MACRO date_of_birth_masked(found) AS
    regexp_replace(found, '[0-9]', 'X', 'g');

-- Every finding as {kind, masked}, in the order: SSNs and routing numbers, SSNs written with
-- spaces, bank accounts, dates of birth. Raw values never leave this macro.
CREATE OR REPLACE MACRO personal_data_found(text) AS
    CASE WHEN personal_data_candidates(text) THEN
        list_transform(
            list_filter(personal_digit_runs(text, personal_dash_runs()),
                        lambda c: personal_dash_run_kind(c[4], c[2], c[5]) IS NOT NULL),
            lambda c: {'kind': personal_dash_run_kind(c[4], c[2], c[5]), 'masked': personal_run_masked(c[2])})
        || list_transform(
            list_filter(personal_digit_runs(text, personal_space_runs()),
                        lambda c: personal_space_run_kind(c[4], c[2], c[5]) IS NOT NULL),
            lambda c: {'kind': 'ssn', 'masked': personal_run_masked(c[2])})
        || list_transform(
            list_filter(personal_digit_runs(text, bank_account_pattern()),
                        lambda c: personal_labelled_value_ends(c[5])),
            lambda c: {'kind': 'bank_account', 'masked': regexp_extract(bank_account_masked(c[2]), 'X+[0-9]{4}$')})
        || list_transform(
            list_filter(personal_digit_runs(text, date_of_birth_pattern()),
                        lambda c: personal_labelled_value_ends(c[5])),
            lambda c: {'kind': 'date_of_birth', 'masked': regexp_extract(date_of_birth_masked(c[2]), '[X/.-]+$')})
    ELSE [] END;

CREATE OR REPLACE MACRO has_personal_data(text) AS
    len(personal_data_found(text)) > 0;

-- The quarantine reason of a line: the first kind found in this order.
CREATE OR REPLACE MACRO personal_data_reason(kinds) AS
    CASE
        WHEN list_contains(kinds, 'ssn') THEN 'ssn_detected'
        WHEN list_contains(kinds, 'routing_number') THEN 'routing_number_detected'
        WHEN list_contains(kinds, 'bank_account') THEN 'bank_account_detected'
        WHEN list_contains(kinds, 'date_of_birth') THEN 'date_of_birth_detected'
    END;

CREATE OR REPLACE MACRO personal_data_label(kind) AS
    CASE kind
        WHEN 'ssn' THEN 'Social Security number'
        WHEN 'routing_number' THEN 'ABA routing number'
        WHEN 'bank_account' THEN 'bank account number'
        WHEN 'date_of_birth' THEN 'date of birth'
    END;

-- '<reason>: <what> <masked>, ... in the record', or NULL when the text holds none. The findings
-- are bound once as a lambda argument: a macro's argument is copied wherever the body names it.
CREATE OR REPLACE MACRO personal_data_screen_problem(text) AS
    list_transform([personal_data_found(text)], lambda found: CASE WHEN len(found) > 0 THEN
        personal_data_reason(list_transform(found, lambda f: f.kind)) || ': '
        || array_to_string(list_transform(found, lambda f: personal_data_label(f.kind) || ' ' || f.masked), ', ')
        || ' in the record'
    END)[1];

-- Rebuilt piece by piece like mask_card_numbers, one rule after the other: each finding masked,
-- everything else as it was. Each step takes the previous one's text as a lambda argument, so
-- the text is not copied into every step's expression.
CREATE OR REPLACE MACRO mask_personal_runs_dashed(t) AS
    regexp_split_to_array(t, personal_dash_runs())[1]
    || array_to_string(list_transform(personal_digit_runs(t, personal_dash_runs()),
        lambda c: CASE WHEN personal_dash_run_kind(c[4], c[2], c[5]) IS NOT NULL
                       THEN personal_run_masked(c[2]) ELSE c[2] END || c[3]), '');

CREATE OR REPLACE MACRO mask_personal_runs_spaced(t) AS
    regexp_split_to_array(t, personal_space_runs())[1]
    || array_to_string(list_transform(personal_digit_runs(t, personal_space_runs()),
        lambda c: CASE WHEN personal_space_run_kind(c[4], c[2], c[5]) IS NOT NULL
                       THEN personal_run_masked(c[2]) ELSE c[2] END || c[3]), '');

CREATE OR REPLACE MACRO mask_bank_accounts(t) AS
    regexp_split_to_array(t, bank_account_pattern())[1]
    || array_to_string(list_transform(personal_digit_runs(t, bank_account_pattern()),
        lambda c: CASE WHEN personal_labelled_value_ends(c[5])
                       THEN bank_account_masked(c[2]) ELSE c[2] END || c[3]), '');

CREATE OR REPLACE MACRO mask_dates_of_birth(t) AS
    regexp_split_to_array(t, date_of_birth_pattern())[1]
    || array_to_string(list_transform(personal_digit_runs(t, date_of_birth_pattern()),
        lambda c: CASE WHEN personal_labelled_value_ends(c[5])
                       THEN date_of_birth_masked(c[2]) ELSE c[2] END || c[3]), '');

CREATE OR REPLACE MACRO mask_personal_data(text) AS
    CASE WHEN personal_data_candidates(text) THEN
        list_transform(list_transform(list_transform(list_transform([text],
            lambda a: mask_personal_runs_dashed(a)),
            lambda b: mask_personal_runs_spaced(b)),
            lambda c: mask_bank_accounts(c)),
            lambda d: mask_dates_of_birth(d))[1]
    ELSE text END;

CREATE OR REPLACE MACRO personal_data_reasons() AS
    ['ssn_detected', 'routing_number_detected', 'bank_account_detected', 'date_of_birth_detected'];
