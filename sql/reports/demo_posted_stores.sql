-- Legal entities and currencies whose journal of $day was posted to D365: their stores' POS sales
-- are known to D365 (the demo's stock act).
SELECT legal_entity, currency FROM gl.postings WHERE business_date = $day AND status = 'posted';
