-- Before a refresh: the open suggestions go (they are computed again from the files and the data);
-- approved and rejected ones stay, with who decided and when.
DELETE FROM ops.mapping_suggestions WHERE status = 'open'
