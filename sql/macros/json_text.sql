-- A text as a JSON string exactly as Python's json.dumps(text, ensure_ascii=False) writes it, so
-- lines built in SQL are byte-for-byte the lines the landing writer's envelope() writes.
-- DuckDB's to_json already agrees for every character but nine control characters, which it
-- escapes with upper-case hex (\u001F where Python writes \u001f); text holding any control
-- character (rare in an export) is escaped here one character at a time, backslash first.
CREATE OR REPLACE MACRO json_text(v) AS CASE
    WHEN regexp_matches(v, '[\x00-\x1f]') THEN '"' || replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(
        v, '\', '\\'), '"', '\"'),
        chr(0), '\u0000'), chr(1), '\u0001'), chr(2), '\u0002'), chr(3), '\u0003'),
        chr(4), '\u0004'), chr(5), '\u0005'), chr(6), '\u0006'), chr(7), '\u0007'),
        chr(8), '\b'), chr(9), '\t'), chr(10), '\n'), chr(11), '\u000b'),
        chr(12), '\f'), chr(13), '\r'), chr(14), '\u000e'), chr(15), '\u000f'),
        chr(16), '\u0010'), chr(17), '\u0011'), chr(18), '\u0012'), chr(19), '\u0013'),
        chr(20), '\u0014'), chr(21), '\u0015'), chr(22), '\u0016'), chr(23), '\u0017'),
        chr(24), '\u0018'), chr(25), '\u0019'), chr(26), '\u001a'), chr(27), '\u001b'),
        chr(28), '\u001c'), chr(29), '\u001d'), chr(30), '\u001e'), chr(31), '\u001f') || '"'
    ELSE to_json(v)::VARCHAR
END;
