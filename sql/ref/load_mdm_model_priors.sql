-- ref.mdm_model_priors from mappings/mdm_model_priors.csv ($dir): the m and u probability each
-- comparison level of the customer matching model takes when the data cannot estimate it (a
-- small or new customer file: no shared e-mails, too few pairs for expectation maximisation).
CREATE OR REPLACE TABLE ref.mdm_model_priors AS
SELECT comparison, level, m_probability, u_probability, note
FROM read_csv($dir || '/mdm_model_priors.csv', header = true, columns = {
    'comparison': 'VARCHAR', 'level': 'VARCHAR', 'm_probability': 'DOUBLE',
    'u_probability': 'DOUBLE', 'note': 'VARCHAR'});
COMMENT ON TABLE ref.mdm_model_priors IS 'mappings/mdm_model_priors.csv as loaded: prior m and u probabilities per comparison level of the customer matching model, used where a run cannot estimate them.';
COMMENT ON COLUMN ref.mdm_model_priors.comparison IS 'The model comparison (its output column, e.g. email_mailbox).';
COMMENT ON COLUMN ref.mdm_model_priors.level IS 'The comparison level, as splink labels it.';
COMMENT ON COLUMN ref.mdm_model_priors.m_probability IS 'Share of pairs of one person''s records that fall in this level.';
COMMENT ON COLUMN ref.mdm_model_priors.u_probability IS 'Share of pairs of two different people''s records that fall in this level by chance.';
COMMENT ON COLUMN ref.mdm_model_priors.note IS 'Where the value comes from, in the words of whoever set it.';
