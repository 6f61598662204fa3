-- Build canonical.pos_sales from the staged Retail tickets (stage_latest_retail_tickets.sql) and
-- their lines just built (insert_pos_sale_lines.sql runs first): one row per ticket,
-- amounts signed as Retail sends them. discount_total is the lines' own and subtotal is
-- total - tax_total + discount_total, which is the lines' quantity x unit price whenever the
-- ticket adds up; a ticket that does not carries ticket_total_mismatch (staging).
-- A ticket whose payments do not sum to its total is kept unflagged: tendered_total shows it and
-- the journal posts the difference to cash over/short, as for every POS ticket.
INSERT INTO canonical.pos_sales BY NAME
WITH line_sums AS (
    SELECT business_date, ticket_id, sum(discount_amount) AS discount_total
    FROM canonical.pos_sale_lines
    WHERE business_date BETWEEN $first AND $last
    GROUP BY ALL
)
SELECT
    t.business_date, t.ticket_id, t.store_id, t.legal_entity, t.register_id,
    t.sales_rep AS cashier_id, t.ticket_type, t.status AS ticket_status, t.status_code,
    t.is_financial, NULL AS original_ticket_id, t.currency,
    t.total - t.tax_total + s.discount_total AS subtotal,
    s.discount_total,
    t.tax_total,
    t.total,
    coalesce(list_sum(list_transform(t.payments, lambda p: p.amount)), 0) AS tendered_total,
    coalesce(list_sum(list_transform(t.payments, lambda p: coalesce(p.tip, 0))), 0) AS tip_total,
    len(t.lines) AS line_count,
    len(t.payments) AS tender_count,
    t.base_currency, t.fx_rate,
    to_base_amount(t.total, t.fx_rate) AS base_total,
    t.created_at AS opened_at, t.closed_at, t.local_closed_at, t.received_at, t.is_late,
    t.ticket_issue AS mapping_issue,
    t.event_id AS source_event_id,
    t.segment_path AS source_segment_path,
    t.line_number AS source_line_number,
    t.superseded_versions
FROM latest_retail_tickets AS t
JOIN line_sums AS s USING (business_date, ticket_id);
