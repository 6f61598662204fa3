-- Test-only mode (SandboxConfig.card_numbers_everywhere): a test PAN in every string field the
-- sandbox produces, so a test can prove that no field, however nested or rarely used, lets a
-- card number through. Each envelope view of the day is wrapped (and the POS tickets' notes
-- changed, at the end); its lines change as follows,
-- by a seeded draw per line (so a day is the same on every run):
--   one line in eight: a PAN at the head of EVERY string value (ids and timestamps included);
--   six in eight: a PAN as the whole of ONE string value, or at its head (half each), the draw
--     picks which, so over a week
--     every field of the frequent lines is the only card number of some line (a field exempt
--     from the scan would then load that line's PAN);
--   one in eight: left clean, so the layers after raw still get data to carry.
-- A PAN at a value's head is followed by '; ' so it never runs into the value's digits.
-- Strings are found by their opening '":"' in compact JSON, which a string's escaped content
-- (\") cannot contain.

CREATE OR REPLACE MACRO card_number_everywhere_pick(p_entity, p_store, p_slot, p_ordinal) AS
    hash(hash(getvariable('seed'), getvariable('day'), 'card_number_everywhere', p_entity, p_store, p_slot, p_ordinal));

CREATE OR REPLACE MACRO card_number_everywhere_pan(p_pick, p_position) AS
    getvariable('pan_texts')[1 + ((p_pick // 8 + p_position) % getvariable('pan_text_count'))::BIGINT];

-- A string value's content runs to its first unescaped quote.
CREATE OR REPLACE MACRO with_card_numbers(p_line, p_pick) AS
    array_to_string(
        list_transform(
            string_split(p_line, '":"'),
            lambda part, position: CASE
                WHEN position = 1 THEN part
                WHEN p_pick % 8 = 0
                    THEN card_number_everywhere_pan(p_pick, position) || '; ' || part
                WHEN p_pick % 8 >= 2
                    AND position - 2 = (p_pick // 8) % (len(string_split(p_line, '":"')) - 1)
                    THEN CASE
                        -- the whole value, as a PAN in a numeric-looking field would come
                        WHEN (p_pick // 65536) % 2 = 0
                            THEN regexp_replace(part, '^(?:[^"\\]|\\.)*', card_number_everywhere_pan(p_pick, position))
                        ELSE card_number_everywhere_pan(p_pick, position) || '; ' || part
                    END
                ELSE part
            END
        ),
        '":"'
    );

DROP VIEW IF EXISTS payment_transactions_envelopes_clean;
ALTER VIEW payment_transactions_envelopes RENAME TO payment_transactions_envelopes_clean;
CREATE VIEW payment_transactions_envelopes AS
SELECT * REPLACE (
    with_card_numbers(line, card_number_everywhere_pick('payment_transactions', store_idx, slot, ordinal)) AS line
)
FROM payment_transactions_envelopes_clean;

DROP VIEW IF EXISTS settlement_batches_envelopes_clean;
ALTER VIEW settlement_batches_envelopes RENAME TO settlement_batches_envelopes_clean;
CREATE VIEW settlement_batches_envelopes AS
SELECT * REPLACE (
    with_card_numbers(line, card_number_everywhere_pick('settlement_batches', store_idx, slot, ordinal)) AS line
)
FROM settlement_batches_envelopes_clean;

-- POS tickets are Heartland Retail documents: their one free-text field, custom.note, gets a PAN
-- in seven tickets of eight, whole or at its head (create_retail_tickets.sql renders the note).
UPDATE tickets
SET note = CASE
    WHEN card_number_everywhere_pick('tickets', store_idx, slot, ordinal) % 2 = 0
        THEN card_number_everywhere_pan(card_number_everywhere_pick('tickets', store_idx, slot, ordinal), 2)
    ELSE card_number_everywhere_pan(card_number_everywhere_pick('tickets', store_idx, slot, ordinal), 2)
        || '; ' || note
END
WHERE card_number_everywhere_pick('tickets', store_idx, slot, ordinal) % 8 <> 1;
