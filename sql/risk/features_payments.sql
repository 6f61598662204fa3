-- Risk features of the payments domain for business days $first..$last (docs/risk-features-payments.md).
--
-- Entities: card (per store: velocity, decline ratio; across stores: stores per hour), store and
-- terminal (card-testing bursts, keyed-in and swiped shares, off-hours), transaction (amount and
-- tip against the store's and the legal entity's own distribution). "Own history" is the
-- trailing window $window_start..$first - 1, never a scored day; it is aggregated once per store
-- (and per terminal and day) and joined by store, so a scored transaction costs a hash lookup.
-- A terminal is the store's POS register (the gateway transaction's POS tender -> its ticket's
-- register); a transaction no ticket names is card-not-present (CNP) when keyed in (MANUAL, ECOM:
-- phone and web orders) and "no register" otherwise (declines and authorisations, which close no
-- ticket).

-- The scored days' transactions, each with its terminal.
CREATE OR REPLACE TEMP TABLE risk_pay_scored AS
WITH registers AS (
    SELECT t.gateway_transaction_id AS transaction_id, any_value(s.register_id) AS register_id
    FROM canonical.pos_tenders AS t
    JOIN canonical.pos_sales AS s ON s.business_date = t.business_date AND s.ticket_id = t.ticket_id
    WHERE t.business_date BETWEEN $first AND $last
      AND t.gateway_transaction_id IS NOT NULL
      AND s.register_id IS NOT NULL
    GROUP BY t.gateway_transaction_id
)
SELECT
    p.business_date,
    p.transaction_id,
    p.store_id,
    p.legal_entity,
    p.transaction_type,
    p.gateway_status,
    coalesce(p.entry_mode, '') AS entry_mode,
    coalesce(p.payment_token, p.card_first6 || '**' || p.card_last4) AS card_key,
    coalesce(p.card_first6 || '**' || p.card_last4, p.payment_token) AS card_label,
    p.currency,
    p.amount,
    coalesce(p.tip_amount, 0) AS tip_amount,
    p.base_amount,
    p.base_currency,
    p.time_created,
    p.local_time,
    r.register_id IS NOT NULL AS on_ticket,
    CASE WHEN r.register_id IS NULL AND p.entry_mode IN ('MANUAL', 'ECOM') THEN 'CNP' ELSE 'POS' END AS channel,
    p.store_id || '/' || coalesce(
        r.register_id,
        CASE WHEN p.entry_mode IN ('MANUAL', 'ECOM') THEN 'CNP' ELSE 'no register' END
    ) AS terminal_id
FROM canonical.payments AS p
LEFT JOIN registers AS r USING (transaction_id)
WHERE p.business_date BETWEEN $first AND $last
  AND p.store_id IS NOT NULL
  AND p.amount IS NOT NULL;

-- The trailing window as histograms: per store and channel, counts of ln(1 + |amount|) in bins
-- of 0.01 (1 % of an amount), of tip ratios in bins of 0.001, and per legal entity and channel
-- of ln(1 + |base amount|). Medians and MADs are read off these small tables, to within a bin;
-- 28 days of a million transactions a day are never materialised or sorted. Each day's bins are
-- kept (risk.payment_day_bins, written here for the days scored), so the window is the sum of 28
-- days' small tables, not a scan of 28 days of transactions. A window day without bins (history
-- loaded before its day was scored) is binned from canonical here, once, and kept. History is
-- not joined to its tickets again either: a keyed-in transaction of the window is
-- card-not-present when its own day's scoring said so (the card_not_present rows of
-- risk.features), every other one is a till's - as the day's own scoring (risk_pay_scored)
-- called it.
--
-- The amount and tip distributions count paid sales only (SALE, CAPTURED): what customers
-- spend. Declines and uncaptured authorisations are attempts, not purchases; a card-testing
-- burst of the window (dozens of keyed attempts of a few cents) would otherwise become the
-- card-not-present channel's "usual amount" and make every real phone order an outlier. The
-- attempts still count in no_ticket_sales and declines (the card-testing rates), and the paid
-- till sales give the store's keyed-in and swiped shares (the terminals' floor baseline).
DELETE FROM risk.payment_day_bins WHERE business_date BETWEEN $first AND $last;

INSERT INTO risk.payment_day_bins
WITH unbinned_days AS (
    -- window days with transactions but no bins yet: none once the days before were scored, and
    -- then neither the window's transactions nor its features are read here
    SELECT DISTINCT business_date
    FROM canonical.payments
    WHERE business_date BETWEEN $window_start AND $first - 1
      AND business_date NOT IN (
          SELECT business_date FROM risk.payment_day_bins
          WHERE business_date BETWEEN $window_start AND $first - 1
      )
),
card_not_present AS (
    SELECT f.business_date, f.entity_id AS transaction_id
    FROM risk.features AS f
    SEMI JOIN unbinned_days AS u USING (business_date)
    WHERE f.business_date BETWEEN $window_start AND $first - 1
      AND f.domain = 'payments' AND f.feature = 'card_not_present'
),
unbinned AS (
    SELECT p.*
    FROM canonical.payments AS p
    SEMI JOIN unbinned_days AS u USING (business_date)
    WHERE p.business_date BETWEEN $window_start AND $first - 1
      AND p.store_id IS NOT NULL AND p.amount IS NOT NULL
),
counted AS (
    SELECT business_date, store_id, legal_entity, channel, transaction_type, gateway_status, entry_mode, amount, base_amount, tip_amount
    FROM risk_pay_scored
    UNION ALL
    SELECT business_date, store_id, legal_entity, 'POS' AS channel, transaction_type, gateway_status, entry_mode, amount, base_amount, tip_amount
    FROM unbinned
    WHERE coalesce(entry_mode, '') NOT IN ('MANUAL', 'ECOM')
    UNION ALL
    SELECT
        p.business_date, p.store_id, p.legal_entity, CASE WHEN c.transaction_id IS NOT NULL THEN 'CNP' ELSE 'POS' END,
        p.transaction_type, p.gateway_status, p.entry_mode, p.amount, p.base_amount, p.tip_amount
    FROM unbinned AS p
    LEFT JOIN card_not_present AS c USING (business_date, transaction_id)
    WHERE p.entry_mode IN ('MANUAL', 'ECOM')
),
binned AS (
    SELECT
        business_date,
        store_id,
        legal_entity,
        channel,
        -- The log scale is a statistic of an amount, never an amount: the DOUBLE is binned here
        -- and nothing booked or shown as money is read back from it (amounts stay DECIMAL).
        round(ln(1 + abs(amount)::DOUBLE) * 100)::INTEGER AS amount_bin,
        round(ln(1 + abs(base_amount)::DOUBLE) * 100)::INTEGER AS base_bin,
        CASE WHEN transaction_type = 'SALE' AND coalesce(tip_amount, 0) > 0 AND amount > tip_amount
             THEN round(tip_amount / (amount - tip_amount) * 1000)::INTEGER END AS tip_bin,
        -- an attempt had no ticket when it was not captured or was card-not-present
        transaction_type = 'SALE' AND (gateway_status <> 'CAPTURED' OR channel = 'CNP') AS no_ticket_sale,
        gateway_status = 'DECLINED' AS declined,
        transaction_type = 'SALE' AND gateway_status = 'CAPTURED' AS paid,
        entry_mode = 'MANUAL' AS keyed,
        entry_mode = 'SWIPE' AS swiped,
    FROM counted
)
SELECT
    business_date, store_id, legal_entity, channel, amount_bin, base_bin, tip_bin,
    count(*) FILTER (WHERE paid) AS transactions,
    count(*) FILTER (WHERE no_ticket_sale) AS no_ticket_sales,
    count(*) FILTER (WHERE declined) AS declines,
    count(*) FILTER (WHERE paid AND keyed) AS keyed_sales,
    count(*) FILTER (WHERE paid AND swiped) AS swiped_sales
FROM binned
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE risk_pay_histograms AS
SELECT
    CASE grouping(store_id, legal_entity, amount_bin, base_bin, tip_bin)
        WHEN 11 THEN 'amount' WHEN 21 THEN 'base_amount' ELSE 'tip_ratio' END AS measure,
    CASE WHEN grouping(store_id) = 0 THEN 'store' ELSE 'legal_entity' END AS scope,
    coalesce(store_id, legal_entity) AS scope_id,
    channel,
    coalesce(amount_bin, base_bin, tip_bin) AS bin,
    sum(transactions)::BIGINT AS transactions,
    sum(no_ticket_sales)::BIGINT AS no_ticket_sales,
    sum(declines)::BIGINT AS declines,
    sum(keyed_sales)::BIGINT AS keyed_sales,
    sum(swiped_sales)::BIGINT AS swiped_sales
FROM risk.payment_day_bins
WHERE business_date BETWEEN $window_start AND $first - 1
GROUP BY GROUPING SETS ((store_id, channel, amount_bin), (legal_entity, channel, base_bin), (store_id, channel, tip_bin))
HAVING coalesce(amount_bin, base_bin, tip_bin) IS NOT NULL;

-- Median and spread of each histogram (bins back to values). Amounts and tip ratios are skewed
-- and only their upper tail matters (a large amount, a large tip), so the spread is the upper
-- MAD: the median distance above the median, of the values at or above it (the "double MAD" of
-- a skewed distribution; the lower tail of small baskets would widen it). Floors keep a
-- narrow history from making every ordinary value a deviation: an amount spread under 0.20 in
-- ln (amounts within about 20 % of each other, a one-price store) counts as 0.20, a tip spread
-- under a quarter of the median tip as that quarter. Also the store's keyed-in and swiped
-- shares of its paid till sales, and on how many days of the window the distribution's paid
-- sales fell (the amount's cold start, below).
CREATE OR REPLACE TEMP TABLE risk_pay_distributions AS
WITH days_seen AS (
    SELECT
        CASE WHEN grouping(store_id) = 0 THEN 'store' ELSE 'legal_entity' END AS scope,
        coalesce(store_id, legal_entity) AS scope_id,
        channel,
        count(DISTINCT business_date) AS history_days
    FROM risk.payment_day_bins
    WHERE business_date BETWEEN $window_start AND $first - 1 AND transactions > 0
    GROUP BY GROUPING SETS ((store_id, channel), (legal_entity, channel))
),
totals AS (
    SELECT measure, scope, scope_id, channel, sum(transactions) AS total,
           sum(keyed_sales) AS keyed_sales, sum(swiped_sales) AS swiped_sales
    FROM risk_pay_histograms
    GROUP BY ALL
),
medians AS (
    SELECT measure, scope, scope_id, channel, min(bin) AS median_bin
    FROM (
        SELECT h.*, t.total,
               sum(h.transactions) OVER (PARTITION BY h.measure, h.scope, h.scope_id, h.channel ORDER BY h.bin) AS running
        FROM risk_pay_histograms AS h
        JOIN totals AS t USING (measure, scope, scope_id, channel)
    )
    WHERE running * 2 >= total
    GROUP BY ALL
),
upper_deviations AS (
    SELECT h.measure, h.scope, h.scope_id, h.channel, h.bin - m.median_bin AS deviation, sum(h.transactions) AS transactions
    FROM risk_pay_histograms AS h
    JOIN medians AS m USING (measure, scope, scope_id, channel)
    WHERE h.bin >= m.median_bin
    GROUP BY ALL
),
mads AS (
    SELECT measure, scope, scope_id, channel, min(deviation) AS mad_bins
    FROM (
        SELECT d.*,
               sum(d.transactions) OVER (PARTITION BY d.measure, d.scope, d.scope_id, d.channel ORDER BY d.deviation) AS running,
               sum(d.transactions) OVER (PARTITION BY d.measure, d.scope, d.scope_id, d.channel) AS upper_total
        FROM upper_deviations AS d
    )
    WHERE running * 2 >= upper_total
    GROUP BY ALL
),
stats AS (
    SELECT
        t.measure, t.scope, t.scope_id, t.channel, t.total, t.keyed_sales, t.swiped_sales,
        m.median_bin / CASE t.measure WHEN 'tip_ratio' THEN 1000.0 ELSE 100.0 END AS median_value,
        CASE t.measure
            WHEN 'tip_ratio' THEN greatest(d.mad_bins, m.median_bin / 4.0, 1) / 1000.0
            ELSE greatest(d.mad_bins, 20) / 100.0
        END AS mad_value
    FROM totals AS t
    JOIN medians AS m USING (measure, scope, scope_id, channel)
    JOIN mads AS d USING (measure, scope, scope_id, channel)
)
SELECT
    a.scope,
    a.scope_id,
    a.channel,
    a.total AS history_transactions,
    coalesce(ds.history_days, 0) AS history_days,
    a.median_value AS median_ln_amount,
    a.mad_value AS mad_ln_amount,
    -- An estimate read off the log histogram (to within a bin, 1 %), shown in the evidence as
    -- "a median of about": a statistic, never booked.
    round(exp(a.median_value) - 1, 2)::DECIMAL(18, 2) AS median_amount,
    a.keyed_sales / a.total AS keyed_share,
    a.swiped_sales / a.total AS swiped_share,
    t.total AS history_tips,
    t.median_value AS median_tip_ratio,
    t.mad_value AS mad_tip_ratio
FROM stats AS a
LEFT JOIN stats AS t ON t.measure = 'tip_ratio' AND t.scope = a.scope AND t.scope_id = a.scope_id AND t.channel = a.channel
LEFT JOIN days_seen AS ds ON ds.scope = a.scope AND ds.scope_id = a.scope_id AND ds.channel = a.channel
WHERE a.measure IN ('amount', 'base_amount') AND a.total > 0;

-- The distributions a scored transaction is held against: its own channel's, from 20 transactions
-- of history. A channel with less (a store's first phone orders) has no amount feature: a
-- POS distribution would call every order an outlier.
CREATE OR REPLACE TEMP TABLE risk_pay_baselines AS
SELECT * FROM risk_pay_distributions WHERE history_transactions >= 20;

-- Days of history per store (for the trailing rates per day).
CREATE OR REPLACE TEMP TABLE risk_pay_history_days AS
SELECT store_id, count(DISTINCT business_date) AS history_days
FROM canonical.payments
WHERE business_date BETWEEN $window_start AND $first - 1 AND store_id IS NOT NULL
GROUP BY store_id;

-- Card-testing attempts: a small sale no POS ticket paid (declined, authorised, or captured
-- card-not-present), small meaning under 10 % of the store's trailing median amount (5.00 in
-- the currency when the store has no history). A small card payment on a ticket (the rest of a
-- gift-card ticket, a cheap item) is a shopper, not a test.
CREATE OR REPLACE TEMP TABLE risk_pay_small_limits AS
SELECT
    s.store_id,
    coalesce(round(d.median_amount * 0.10, 2), 5.00::DECIMAL(18, 2)) AS small_limit,
    coalesce(hd.history_days, 0) AS history_days
FROM (SELECT DISTINCT store_id FROM risk_pay_scored) AS s
LEFT JOIN risk_pay_baselines AS d ON d.scope = 'store' AND d.scope_id = s.store_id AND d.channel = 'POS'
LEFT JOIN risk_pay_history_days AS hd USING (store_id);

-- Trading minutes per day (for the expected number of attempts per 10 minutes).
CREATE OR REPLACE TEMP TABLE risk_pay_trading_hours AS
SELECT
    store_id,
    opens_at,
    closes_at,
    CASE WHEN closes_at > opens_at THEN date_diff('minute', opens_at, closes_at)
         ELSE 1440 - date_diff('minute', closes_at, opens_at) END AS trading_minutes
FROM ref.store_trading_hours
WHERE valid_from <= $last
QUALIFY row_number() OVER (PARTITION BY store_id ORDER BY valid_from DESC) = 1;

-- Trailing rate of small no-ticket attempts and of declines per store and 10 trading minutes,
-- from the amount histogram (a bin under the small limit counts whole).
CREATE OR REPLACE TEMP TABLE risk_pay_burst_rates AS
SELECT
    l.store_id,
    l.small_limit,
    coalesce(sum(h.no_ticket_sales) FILTER (WHERE exp(h.bin / 100.0) - 1 < l.small_limit), 0)
        / greatest(l.history_days, 1)
        / (coalesce(any_value(th.trading_minutes), 780) / 10.0) AS small_per_10min,
    coalesce(sum(h.declines), 0)
        / greatest(l.history_days, 1)
        / (coalesce(any_value(th.trading_minutes), 780) / 10.0) AS declines_per_10min
FROM risk_pay_small_limits AS l
LEFT JOIN risk_pay_histograms AS h ON h.measure = 'amount' AND h.scope = 'store' AND h.scope_id = l.store_id
LEFT JOIN risk_pay_trading_hours AS th USING (store_id)
GROUP BY l.store_id, l.small_limit, l.history_days;

-- The busiest 10 minutes of small no-ticket attempts, and of declines, per store and per
-- terminal: a window opens at each such attempt and holds those of the next 10 minutes. Only
-- each window's count is computed per attempt; the busiest window (the earliest of equals) is
-- then read back once for its cards, declines and transactions. A list or a distinct count per
-- window would hold every attempt once per window it falls in: memory growing with the square
-- of a store's rate (the 5,000,000-transaction day ran out of a 1 GB budget here).
CREATE OR REPLACE TEMP TABLE risk_pay_bursts AS
WITH attempts AS (
    SELECT
        s.*,
        s.transaction_type = 'SALE' AND NOT s.on_ticket AND s.amount < l.small_limit AS is_small,
        s.gateway_status = 'DECLINED' AS is_decline,
        l.small_limit
    FROM risk_pay_scored AS s
    JOIN risk_pay_small_limits AS l USING (store_id)
    WHERE (s.transaction_type = 'SALE' AND NOT s.on_ticket AND s.amount < l.small_limit)
       OR s.gateway_status = 'DECLINED'
),
scoped AS (
    SELECT 'store' AS entity_kind, store_id AS entity_id, 'small' AS burst, * FROM attempts WHERE is_small
    UNION ALL
    SELECT 'terminal', terminal_id, 'small', * FROM attempts WHERE is_small
    UNION ALL
    SELECT 'store', store_id, 'decline', * FROM attempts WHERE is_decline
),
windows AS (
    SELECT
        entity_kind, entity_id, burst, business_date, store_id, legal_entity, currency, small_limit,
        local_time AS window_start,
        count(*) OVER (
            PARTITION BY entity_kind, entity_id, burst, business_date ORDER BY local_time
            RANGE BETWEEN CURRENT ROW AND INTERVAL 10 MINUTES FOLLOWING
        ) AS attempts
    FROM scoped
),
busiest AS (
    SELECT * RENAME (attempts AS max_attempts)
    FROM windows
    QUALIFY row_number() OVER (
        PARTITION BY entity_kind, entity_id, burst, business_date, store_id, legal_entity, currency, small_limit
        ORDER BY attempts DESC, window_start
    ) = 1
)
SELECT
    b.entity_kind, b.entity_id, b.burst, b.business_date, b.store_id, b.legal_entity, b.currency, b.small_limit,
    b.max_attempts,
    count(DISTINCT s.card_key) AS cards,
    count(*) FILTER (WHERE s.is_decline) AS declines,
    b.window_start,
    max(s.local_time) AS window_end,
    list(s.transaction_id ORDER BY s.local_time, s.transaction_id) AS transaction_ids
FROM busiest AS b
JOIN scoped AS s
    ON s.entity_kind = b.entity_kind AND s.entity_id = b.entity_id AND s.burst = b.burst
   AND s.business_date = b.business_date
   AND s.local_time BETWEEN b.window_start AND b.window_start + INTERVAL 10 MINUTES
GROUP BY ALL;

INSERT INTO risk.features (business_date, domain, entity_kind, entity_id, store_id, legal_entity, feature, value, evidence, record_ids)
SELECT
    b.business_date, 'payments', b.entity_kind, b.entity_id, b.store_id, b.legal_entity,
    f.feature, f.value, f.evidence,
    list_transform(b.transaction_ids, lambda id: 'transaction:' || id)
FROM risk_pay_bursts AS b
JOIN risk_pay_burst_rates AS r USING (store_id)
CROSS JOIN LATERAL (
    SELECT
        CASE b.burst
            WHEN 'small' THEN b.max_attempts || ' sales under ' || b.small_limit || ' ' || b.currency
                || ' without a POS ticket'
            ELSE b.max_attempts || ' declines'
        END || ' between ' || strftime(b.window_start, '%H:%M') || ' and ' || strftime(b.window_end, '%H:%M')
            || ' (' || b.cards || ' cards, ' || b.declines || ' declined)' AS words,
        CASE b.burst WHEN 'small' THEN r.small_per_10min ELSE r.declines_per_10min END AS expected
) AS w
CROSS JOIN LATERAL (
    SELECT
        CASE b.burst WHEN 'small' THEN 'small_auths_10min_max' ELSE 'declines_10min_max' END AS feature,
        b.max_attempts::DOUBLE AS value,
        w.words AS evidence
    UNION ALL
    -- Excess over the store's trailing rate, in Poisson standard deviations (+1 keeps a quiet
    -- store's first two attempts from looking like a burst): scale-free across store volumes.
    SELECT
        CASE b.burst WHEN 'small' THEN 'small_auths_10min_z' ELSE 'declines_10min_z' END,
        (b.max_attempts - w.expected) / sqrt(w.expected + 1),
        w.words || ', against ' || round(w.expected, 2) || ' expected in 10 minutes from the trailing window'
) AS f
WHERE b.entity_kind = 'store' OR f.feature = 'small_auths_10min_max';

-- Cards seen more than once that day, with the first and last store they were seen at: the one
-- aggregate over all the day's transactions (nearly every card is seen once) that both the cards
-- per store (velocity) and the cards at several stores (stores per hour) start from; grouping the
-- million rows once per feature cost three hash aggregates of ~960,000 groups (0.75 s of CPU on
-- the 1M day) where this costs one.
CREATE OR REPLACE TEMP TABLE risk_pay_card_days AS
SELECT business_date, card_key, min(store_id) AS first_store_id, max(store_id) AS last_store_id
FROM risk_pay_scored
WHERE card_key IS NOT NULL
GROUP BY ALL
HAVING count(*) > 1;

-- Cards per store and day: velocity (most attempts in any hour), declines. Only cards seen more
-- than once at the store that day: a card used once has velocity 1 and nothing to say.
CREATE OR REPLACE TEMP TABLE risk_pay_repeat_cards AS
SELECT business_date, store_id, card_key
FROM risk_pay_scored
SEMI JOIN risk_pay_card_days USING (business_date, card_key)
GROUP BY ALL
HAVING count(*) > 1;

INSERT INTO risk.features (business_date, domain, entity_kind, entity_id, store_id, legal_entity, feature, value, evidence, record_ids)
WITH card_transactions AS (
    SELECT s.*
    FROM risk_pay_scored AS s
    SEMI JOIN risk_pay_repeat_cards AS c USING (business_date, store_id, card_key)
),
hourly AS (
    SELECT
        *,
        count(*) OVER (
            PARTITION BY business_date, store_id, card_key ORDER BY time_created
            RANGE BETWEEN CURRENT ROW AND INTERVAL 1 HOUR FOLLOWING
        ) AS in_hour
    FROM card_transactions
),
cards AS (
    SELECT
        business_date, store_id, card_key,
        any_value(legal_entity) AS legal_entity,
        any_value(card_label) AS card_label,
        count(*) AS attempts,
        count(*) FILTER (WHERE gateway_status = 'DECLINED') AS declines,
        max(in_hour) AS velocity,
        list('transaction:' || transaction_id ORDER BY time_created) AS record_ids
    FROM hourly
    GROUP BY ALL
)
SELECT
    business_date, 'payments', 'card', store_id || '/' || card_label, store_id, legal_entity,
    f.feature, f.value, f.evidence, record_ids
FROM cards
CROSS JOIN LATERAL (
    SELECT 'card_transactions_per_hour_max' AS feature, velocity::DOUBLE AS value,
           velocity || ' transactions within one hour at ' || store_id || ' (' || attempts || ' that day)' AS evidence
    UNION ALL
    SELECT 'decline_ratio', declines / attempts,
           declines || ' of ' || attempts || ' attempts declined at ' || store_id
) AS f;

-- One card at several stores within an hour (UTC instants: the stores' zones differ). Only
-- cards seen at two stores or more that day are looked at.
INSERT INTO risk.features (business_date, domain, entity_kind, entity_id, store_id, legal_entity, feature, value, evidence, record_ids)
WITH travelling AS (
    SELECT business_date, card_key
    FROM risk_pay_card_days
    WHERE first_store_id <> last_store_id
),
card_transactions AS (
    SELECT s.*
    FROM risk_pay_scored AS s
    SEMI JOIN travelling AS t USING (business_date, card_key)
),
hours AS (
    SELECT
        a.business_date, a.card_key, a.transaction_id AS first_id,
        any_value(a.card_label) AS card_label,
        any_value(a.store_id) AS first_store,
        any_value(a.legal_entity) AS legal_entity,
        any_value(a.time_created) AS first_at,
        count(DISTINCT b.store_id) AS stores,
        list(DISTINCT b.store_id ORDER BY b.store_id) AS store_ids,
        list(DISTINCT 'transaction:' || b.transaction_id) AS record_ids
    FROM card_transactions AS a
    JOIN card_transactions AS b
        ON b.business_date = a.business_date AND b.card_key = a.card_key
       AND b.time_created >= a.time_created AND b.time_created < a.time_created + INTERVAL 1 HOUR
    GROUP BY a.business_date, a.card_key, a.transaction_id
)
SELECT
    business_date, 'payments', 'card', card_label, first_store, legal_entity,
    'card_stores_per_hour_max', stores::DOUBLE,
    'card used at ' || stores || ' stores (' || array_to_string(store_ids, ', ') || ') within one hour from '
        || strftime(first_at AT TIME ZONE 'UTC', '%H:%M') || ' UTC',
    list_sort(record_ids)
FROM hours
QUALIFY row_number() OVER (PARTITION BY business_date, card_key ORDER BY stores DESC, first_at) = 1;

-- Entry modes per terminal (a till register: the sales its tickets paid; the CNP and "no
-- register" pseudo-terminals are keyed in or ticketless by definition, and card testing has its
-- own features). The baseline share is the larger of the terminal's own (the median of its daily
-- keyed-in (MANUAL) and swiped shares over the trailing window, as those days' scoring wrote
-- them to risk.features, once it has 5 days of them: a compromise of a few days moves a median
-- of four weeks little; reading 28 days of tickets again would cost more than the rest of the
-- features together) and its store's share of paid till sales over the window (pooled over
-- thousands of sales, so a quiet register's median of a few days' handfuls — often 0 — does not
-- make two swipes a lift; a register that keys in more than its store, say the phone-order
-- desk, keeps its own higher share).
CREATE OR REPLACE TEMP TABLE risk_pay_terminal_days AS
SELECT
    entity_id AS terminal_id,
    count(*) FILTER (WHERE feature = 'keyed_share') AS days,
    median(value) FILTER (WHERE feature = 'keyed_share') AS keyed_base,
    median(value) FILTER (WHERE feature = 'swiped_share') AS swiped_base
FROM risk.features
WHERE business_date BETWEEN $window_start AND $first - 1
  AND domain = 'payments' AND entity_kind = 'terminal' AND feature IN ('keyed_share', 'swiped_share')
GROUP BY entity_id;

INSERT INTO risk.features (business_date, domain, entity_kind, entity_id, store_id, legal_entity, feature, value, evidence, record_ids)
WITH today AS (
    SELECT
        business_date, terminal_id,
        any_value(store_id) AS store_id,
        any_value(legal_entity) AS legal_entity,
        count(*) AS transactions,
        count(*) FILTER (WHERE entry_mode = 'MANUAL') AS keyed,
        count(*) FILTER (WHERE entry_mode = 'SWIPE') AS swiped,
        list('transaction:' || transaction_id ORDER BY time_created) FILTER (WHERE entry_mode = 'MANUAL') AS keyed_ids,
        list('transaction:' || transaction_id ORDER BY time_created) FILTER (WHERE entry_mode = 'SWIPE') AS swiped_ids
    FROM risk_pay_scored
    WHERE transaction_type = 'SALE' AND on_ticket
    GROUP BY business_date, terminal_id
),
stores AS (
    SELECT scope_id AS store_id, history_transactions, keyed_share, swiped_share
    FROM risk_pay_baselines
    WHERE scope = 'store' AND channel = 'POS'
),
modes AS (
    SELECT t.business_date, t.terminal_id, t.store_id, t.legal_entity, t.transactions, b.days,
           'keyed' AS mode, 'keyed-in' AS words, t.keyed AS hits, t.keyed_ids AS ids,
           CASE WHEN b.days >= 5 THEN b.keyed_base END AS own_base, s.keyed_share AS store_base
    FROM today AS t LEFT JOIN risk_pay_terminal_days AS b USING (terminal_id) LEFT JOIN stores AS s USING (store_id)
    UNION ALL
    SELECT t.business_date, t.terminal_id, t.store_id, t.legal_entity, t.transactions, b.days,
           'swiped', 'swiped', t.swiped, t.swiped_ids,
           CASE WHEN b.days >= 5 THEN b.swiped_base END, s.swiped_share
    FROM today AS t LEFT JOIN risk_pay_terminal_days AS b USING (terminal_id) LEFT JOIN stores AS s USING (store_id)
),
based AS (
    -- a baseline under 1 % counts as 1 %
    SELECT *, CASE WHEN own_base IS NOT NULL OR store_base IS NOT NULL
                   THEN greatest(own_base, store_base, 0.01) END AS base
    FROM modes
)
SELECT
    business_date, 'payments', 'terminal', terminal_id, store_id, legal_entity,
    f.feature, f.value, f.evidence, coalesce(ids, [])
FROM based
CROSS JOIN LATERAL (
    SELECT mode || '_share' AS feature, hits / transactions AS value,
           hits || ' of ' || transactions || ' sales ' || words || ' on ' || terminal_id AS evidence
    UNION ALL
    -- How many times the baseline share today's share is, at its lower bound (hits less two
    -- Poisson deviations): a handful of keyed sales on a quiet register does not make a lift.
    SELECT mode || '_share_lift', greatest(hits - 2 * sqrt(hits), 0) / (transactions * base),
           hits || ' of ' || transactions || ' sales ' || words || ' (' || round(100.0 * hits / transactions, 1)
               || ' %) on ' || terminal_id || ' against a usual ' || round(100 * base, 1) || ' % (its own median '
               || coalesce(round(100 * own_base, 1) || ' % over ' || days || ' days', 'not yet known')
               || ', the store''s ' || coalesce(round(100 * store_base, 1) || ' %', 'not yet known') || ')'
    WHERE base IS NOT NULL
) AS f;

-- Card-not-present: keyed in with no POS ticket (phone and web orders). A marker for the model,
-- and what tomorrow's scoring reads to hold these amounts against their own channel.
INSERT INTO risk.features (business_date, domain, entity_kind, entity_id, store_id, legal_entity, feature, value, evidence, record_ids)
SELECT
    business_date, 'payments', 'transaction', transaction_id, store_id, legal_entity,
    'card_not_present', 1,
    entry_mode || ' entry with no POS ticket; ' || amount || ' ' || currency,
    ['transaction:' || transaction_id]
FROM risk_pay_scored
WHERE channel = 'CNP';

-- Off-hours: minutes a transaction lies outside its store's trading hours (local_time is in the
-- store's zone), per transaction when outside, and per store the count. Only the transactions
-- outside are kept: both features read only those, and a copy of the whole day was most of this
-- statement's cost.
CREATE OR REPLACE TEMP TABLE risk_pay_off_hours AS
WITH clock AS (
    SELECT
        s.business_date, s.transaction_id, s.store_id, s.legal_entity, s.local_time, s.amount, s.currency,
        th.opens_at, th.closes_at,
        epoch(s.local_time::TIME)::BIGINT AS t,
        epoch(th.opens_at)::BIGINT AS o,
        epoch(th.closes_at)::BIGINT AS c
    FROM risk_pay_scored AS s
    JOIN risk_pay_trading_hours AS th USING (store_id)
),
placed AS (
    SELECT
        * EXCLUDE (t, o, c),
        -- outside: the nearer of the time until opening and the time since closing, modulo a day
        CASE
            WHEN (c > o AND t >= o AND t < c) OR (c <= o AND (t >= o OR t < c)) THEN 0
            ELSE least((o - t + 86400) % 86400, (t - c + 86400) % 86400) / 60.0
        END AS minutes_outside
    FROM clock
)
SELECT * FROM placed WHERE minutes_outside > 0;

INSERT INTO risk.features (business_date, domain, entity_kind, entity_id, store_id, legal_entity, feature, value, evidence, record_ids)
SELECT
    business_date, 'payments', 'transaction', transaction_id, store_id, legal_entity,
    'minutes_outside_trading_hours', minutes_outside,
    'at ' || strftime(local_time, '%H:%M') || ' local, ' || round(minutes_outside)::BIGINT
        || ' minutes outside ' || store_id || '''s hours ' || left(opens_at::VARCHAR, 5) || '-'
        || left(closes_at::VARCHAR, 5) || '; ' || amount || ' ' || currency,
    ['transaction:' || transaction_id]
FROM risk_pay_off_hours
WHERE minutes_outside > 0;

INSERT INTO risk.features (business_date, domain, entity_kind, entity_id, store_id, legal_entity, feature, value, evidence, record_ids)
SELECT
    business_date, 'payments', 'store', store_id, store_id, any_value(legal_entity),
    'off_hours_transactions', count(*)::DOUBLE,
    count(*) || ' transactions outside ' || store_id || '''s trading hours, the first at '
        || strftime(min(local_time), '%H:%M') || ' local',
    list('transaction:' || transaction_id ORDER BY local_time)
FROM risk_pay_off_hours
WHERE minutes_outside > 0
GROUP BY business_date, store_id;

-- Per transaction: the amount's robust z, on ln(1 + |amount|) since amounts are skewed, against
-- the store's trailing distribution of its channel; a store without 20 paid sales of history is
-- held against its legal entity's (the merchant's, in base currency). The store's own comes
-- first: a 2,000 sale is unusual at a kiosk even when the flagship sells such baskets, and a
-- merchant whose stores trade in two currencies has a wider distribution in base currency than
-- any of its stores. The merchant's z is given in the evidence either way. Tipped sales also get
-- their tip ratio, and its robust z once the store has 20 tipped sales of history.
--
-- A distribution counts only once its paid sales span $amount_min_history_days days of the
-- window (mappings/risk_settings.csv): a warehouse's first day or two give a store a median and
-- spread of one day's sales, whose upper MAD is too uncertain for a cut-off at 3.5 (seed 22's
-- clean second day, one day of 150 sales at S001: a 433.22 sale at z 3.6, three at 3.0 or more;
-- with two days of history the largest was 2.5). Until then the store's is replaced by its
-- legal entity's, when that has the days (a new store of an established merchant), else the
-- transaction has no amount_robust_z: no amount_outlier on a cold start.
--
-- Only the transactions that get one of those features are kept (an amount_robust_z below, or a
-- tip ratio): on a day without a window of history (a warehouse's first days) that is the tipped
-- sales alone, and a copy of the whole day was most of this statement's cost.
CREATE OR REPLACE TEMP TABLE risk_pay_amounts AS
WITH measured AS (
    SELECT
        s.business_date, s.transaction_id, s.store_id, s.legal_entity, s.amount, s.currency,
        s.base_amount, s.tip_amount, s.transaction_type,
        ds.median_amount AS store_median, hd.history_days,
        de.median_amount AS entity_median, s.base_currency AS entity_currency,
        ds.history_days AS store_days_seen, de.history_days AS entity_days_seen,
        -- z-scores on the log scale (statistics, DOUBLE); the amounts beside them stay DECIMAL.
        (ln(1 + abs(s.amount)::DOUBLE) - ds.median_ln_amount) / nullif(1.4826 * ds.mad_ln_amount, 0) AS store_z,
        (ln(1 + abs(s.base_amount)::DOUBLE) - de.median_ln_amount) / nullif(1.4826 * de.mad_ln_amount, 0) AS entity_z,
        CASE WHEN s.transaction_type = 'SALE' AND s.tip_amount > 0 AND s.amount > s.tip_amount
             THEN (s.tip_amount / (s.amount - s.tip_amount))::DOUBLE END AS tip_ratio,
        ds.history_tips, ds.median_tip_ratio, ds.mad_tip_ratio
    FROM risk_pay_scored AS s
    LEFT JOIN risk_pay_baselines AS ds ON ds.scope = 'store' AND ds.scope_id = s.store_id AND ds.channel = s.channel
    LEFT JOIN risk_pay_baselines AS de
        ON de.scope = 'legal_entity' AND de.scope_id = s.legal_entity AND de.channel = s.channel
    LEFT JOIN risk_pay_history_days AS hd ON hd.store_id = s.store_id
)
SELECT * FROM measured
WHERE tip_ratio IS NOT NULL
   OR (store_days_seen >= $amount_min_history_days AND store_z IS NOT NULL)
   OR (entity_days_seen >= $amount_min_history_days AND entity_z IS NOT NULL);

INSERT INTO risk.features (business_date, domain, entity_kind, entity_id, store_id, legal_entity, feature, value, evidence, record_ids)
WITH settled AS (
    SELECT
        *,
        coalesce(
            CASE WHEN store_days_seen >= $amount_min_history_days THEN store_z END,
            CASE WHEN entity_days_seen >= $amount_min_history_days THEN entity_z END
        ) AS amount_z
    FROM risk_pay_amounts
)
-- One concat, not a chain of ||: a chain builds every intermediate string of a million rows (a
-- third of this statement's CPU). No part is NULL (amount, currency and store are never NULL
-- here, the rest is coalesced), so concat, which skips NULLs where || gives NULL, says the same.
SELECT
    business_date, 'payments', 'transaction', transaction_id, store_id, legal_entity,
    'amount_robust_z', amount_z,
    concat(
        amount, ' ', currency, ' against a median of about ', coalesce(store_median || ' ' || currency, '?'),
        ' at ', store_id, ' (z ', coalesce(round(store_z, 1)::VARCHAR, '?'), ') and ',
        coalesce(entity_median || ' ' || entity_currency, '?'), ' for ', coalesce(legal_entity, '?'),
        ' (z ', coalesce(round(entity_z, 1)::VARCHAR, '?'), ') over ', coalesce(history_days, 0), ' days'
    ),
    ['transaction:' || transaction_id]
FROM settled
WHERE amount_z IS NOT NULL;

INSERT INTO risk.features (business_date, domain, entity_kind, entity_id, store_id, legal_entity, feature, value, evidence, record_ids)
WITH tipped AS (
    SELECT
        *,
        'tip ' || tip_amount || ' on ' || (amount - tip_amount) || ' ' || currency
            || ' (' || round(100 * tip_ratio, 1) || ' %)' AS words
    FROM risk_pay_amounts
    WHERE tip_ratio IS NOT NULL
)
SELECT
    business_date, 'payments', 'transaction', transaction_id, store_id, legal_entity,
    'tip_ratio', tip_ratio, words, ['transaction:' || transaction_id]
FROM tipped
UNION ALL
SELECT
    business_date, 'payments', 'transaction', transaction_id, store_id, legal_entity,
    'tip_ratio_robust_z', (tip_ratio - median_tip_ratio) / (1.4826 * mad_tip_ratio),
    words || ' against a median of about ' || round(100 * median_tip_ratio, 1) || ' % over '
        || history_tips || ' tipped sales at ' || store_id,
    ['transaction:' || transaction_id]
FROM tipped
WHERE history_tips >= 20 AND mad_tip_ratio > 0;

DROP TABLE risk_pay_scored;
DROP TABLE risk_pay_histograms;
DROP TABLE risk_pay_history_days;
DROP TABLE risk_pay_distributions;
DROP TABLE risk_pay_baselines;
DROP TABLE risk_pay_small_limits;
DROP TABLE risk_pay_trading_hours;
DROP TABLE risk_pay_burst_rates;
DROP TABLE risk_pay_bursts;
DROP TABLE risk_pay_card_days;
DROP TABLE risk_pay_repeat_cards;
DROP TABLE risk_pay_terminal_days;
DROP TABLE risk_pay_off_hours;
DROP TABLE risk_pay_amounts;
