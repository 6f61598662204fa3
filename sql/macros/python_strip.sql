-- Text trimmed exactly as Python's str.strip() trims it: the characters str.isspace() holds (tab,
-- line feed, \x0b, \x0c, carriage return, the separators \x1c-\x1f, space, \x85, no-break space,
-- U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), not only spaces as SQL's trim.
-- The payroll export's mapped values are trimmed so (payroll_columns.MappedColumn.read); the
-- set is pinned against Python's by test_payroll_landing.py.
CREATE OR REPLACE MACRO python_whitespace() AS
    chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30)
    || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193)
    || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200)
    || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288);

-- The same set as a regular-expression class: trimming with a set of characters is slow in
-- DuckDB, so only a text that starts or ends with one of them is trimmed.
CREATE OR REPLACE MACRO python_strip(v) AS CASE
    WHEN regexp_matches(
        v,
        '^[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]|[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]$'
    ) THEN trim(v, python_whitespace())
    ELSE v
END;

-- True when the text is empty or only such white space (Python: not text.strip()).
CREATE OR REPLACE MACRO python_blank(v) AS regexp_full_match(
    v,
    '[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]*'
);
