-- Question: what share of each feed's rows was quarantined, per ingest date?
-- Parameters: none. For data engineers: reads the raw zone and the quarantine.
WITH valid AS (
    SELECT 'providers' AS entity, ingest_date, COUNT(*) AS rows_valid FROM raw.providers GROUP BY ingest_date
    UNION ALL
    SELECT 'customers', ingest_date, COUNT(*) FROM raw.customers GROUP BY ingest_date
    UNION ALL
    SELECT 'transactions', ingest_date, COUNT(*) FROM raw.transactions GROUP BY ingest_date
),
rejected AS (
    SELECT entity, ingest_date, COUNT(*) AS rows_quarantined
    FROM raw.quarantine
    GROUP BY entity, ingest_date
)
SELECT
    COALESCE(v.entity, r.entity) AS entity,
    COALESCE(v.ingest_date, r.ingest_date) AS ingest_date,
    COALESCE(v.rows_valid, 0) AS rows_valid,
    COALESCE(r.rows_quarantined, 0) AS rows_quarantined,
    ROUND(100.0 * COALESCE(r.rows_quarantined, 0)
          / (COALESCE(v.rows_valid, 0) + COALESCE(r.rows_quarantined, 0)), 2) AS quarantine_pct
FROM valid AS v
FULL OUTER JOIN rejected AS r ON v.entity = r.entity AND v.ingest_date = r.ingest_date
ORDER BY entity, ingest_date
