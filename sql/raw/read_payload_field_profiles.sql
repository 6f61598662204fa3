-- The profiles stage_payload_field_profiles.sql staged, one row per field.
SELECT field, json_type, mean_length, digit_share, letter_share, distinct_ratio
FROM payload_field_profiles
