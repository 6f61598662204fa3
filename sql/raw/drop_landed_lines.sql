-- The staged lines of a drift check (stage_landed_lines.sql), once its shape is read: a big
-- day's lines are not kept on the connection.
DROP TABLE IF EXISTS landed_lines;
