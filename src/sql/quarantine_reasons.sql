-- Question: why were rows quarantined? Count per feed, rule and ingest date, with one example reason.
-- Parameters: none. For data engineers only (the quarantine keeps original records).
SELECT
    entity,
    ingest_date,
    rule,
    COUNT(*) AS rows_quarantined,
    MIN(reason) AS example_reason
FROM raw.quarantine
GROUP BY entity, ingest_date, rule
ORDER BY entity, ingest_date, rows_quarantined DESC, rule
