-- The payments features' daily partial aggregates (sql/risk/features_payments.sql): per business
-- day, store, legal entity and channel, counts of the day's gateway transactions by bin of
-- ln(1 + |amount|), ln(1 + |base amount|) and tip ratio. A day's scoring writes its own day's
-- rows (and those of any window day that has none yet, from canonical); the trailing window's
-- amount and tip distributions are sums of 28 days of these rows, so scoring a day never reads
-- 28 days of raw transactions again. Counts only: no card, no amount, no transaction id.
CREATE TABLE IF NOT EXISTS risk.payment_day_bins (
    business_date   DATE NOT NULL,
    store_id        VARCHAR NOT NULL,
    legal_entity    VARCHAR,
    channel         VARCHAR NOT NULL,
    amount_bin      INTEGER,
    base_bin        INTEGER,
    tip_bin         INTEGER,
    transactions    BIGINT NOT NULL,
    no_ticket_sales BIGINT NOT NULL,
    declines        BIGINT NOT NULL,
    keyed_sales     BIGINT NOT NULL,
    swiped_sales    BIGINT NOT NULL
);
COMMENT ON TABLE risk.payment_day_bins IS 'Per business day, store, legal entity, channel and amount/base-amount/tip-ratio bin: counts of gateway transactions, summed over the trailing window into the payments features'' robust distributions and card-testing rates.';
COMMENT ON COLUMN risk.payment_day_bins.business_date IS 'Business day of the transactions counted.';
COMMENT ON COLUMN risk.payment_day_bins.store_id IS 'Store of the transactions.';
COMMENT ON COLUMN risk.payment_day_bins.legal_entity IS 'D365 legal entity of the store.';
COMMENT ON COLUMN risk.payment_day_bins.channel IS 'POS (a till''s) or CNP (keyed in with no POS ticket: phone and web orders).';
COMMENT ON COLUMN risk.payment_day_bins.amount_bin IS 'round(100 x ln(1 + |amount|)): the amount to within 1 %.';
COMMENT ON COLUMN risk.payment_day_bins.base_bin IS 'round(100 x ln(1 + |base amount|)), in the legal entity''s currency.';
COMMENT ON COLUMN risk.payment_day_bins.tip_bin IS 'round(1000 x tip / (amount - tip)) of a tipped sale; NULL otherwise.';
COMMENT ON COLUMN risk.payment_day_bins.transactions IS 'Paid sales (SALE, CAPTURED): what the amount and tip distributions count.';
COMMENT ON COLUMN risk.payment_day_bins.no_ticket_sales IS 'Sales no POS ticket paid (not captured, or card-not-present): card-testing attempts when small.';
COMMENT ON COLUMN risk.payment_day_bins.declines IS 'Declined transactions.';
COMMENT ON COLUMN risk.payment_day_bins.keyed_sales IS 'Paid sales keyed in (MANUAL).';
COMMENT ON COLUMN risk.payment_day_bins.swiped_sales IS 'Paid sales swiped (SWIPE).';
