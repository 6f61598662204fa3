-- Build canonical.pos_sales for the staged tickets (stage_latest_pos_tickets.sql): one row per
-- ticket, returns negative, with totals in transaction and base currency.
INSERT INTO canonical.pos_sales BY NAME
SELECT
    business_date, ticket_id, store_id, legal_entity, register_id, cashier_id, ticket_type,
    status AS ticket_status, status_code, is_financial, original_ticket_id, currency,
    sign * minor_to_amount(subtotal, e) AS subtotal,
    sign * minor_to_amount(discount_total, e) AS discount_total,
    sign * minor_to_amount(tax_total, e) AS tax_total,
    sign * minor_to_amount(total, e) AS total,
    sign * minor_to_amount(coalesce(list_sum(list_transform(tenders, lambda t: t.amount)), 0), e) AS tendered_total,
    sign * minor_to_amount(coalesce(list_sum(list_transform(tenders, lambda t: t.tip_amount)), 0), e) AS tip_total,
    len(lines) AS line_count,
    len(tenders) AS tender_count,
    base_currency, fx_rate,
    to_base_amount(sign * minor_to_amount(total, e), fx_rate) AS base_total,
    opened_at, closed_at, local_closed_at, received_at, is_late,
    ticket_issue AS mapping_issue,
    event_id AS source_event_id,
    segment_path AS source_segment_path,
    line_number AS source_line_number
FROM latest_pos_tickets;
