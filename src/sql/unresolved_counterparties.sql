-- Question: which trades name a counterparty we could not match to a known provider (buys) or
-- customer (sells), or that matches several customers? Shows the name as sent, so data engineers
-- can fix the dimension feeds. Parameters: none. For data engineers: joins the raw zone by lineage.
SELECT
    t.ingest_date,
    t.transaction_type,
    t.counterparty_status,
    r.counterparty_name AS name_as_sent,
    COUNT(*) AS trades,
    SUM(t.quantity) AS quantity_mwh,
    SUM(t.amount) AS amount
FROM transform.transactions AS t
JOIN raw.transactions AS r
    ON r._source_file = t._source_file AND r._source_line = t._source_line AND r.ingest_date = t.ingest_date
WHERE t.counterparty_status <> 'resolved'
GROUP BY t.ingest_date, t.transaction_type, t.counterparty_status, r.counterparty_name
ORDER BY t.ingest_date, t.transaction_type, name_as_sent
