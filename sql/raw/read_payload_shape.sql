-- The staged payload shape, one row per field: its commonest JSON type and the lines carrying it.
SELECT field, arg_max(json_type, lines) AS json_type, max(lines) AS lines
FROM payload_shape
GROUP BY field
