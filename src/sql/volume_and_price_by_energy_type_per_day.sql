-- Question: how much energy did we buy and sell per energy type each day, and at what average price?
-- Parameters: none (filter ingest_date to narrow the period; the table is partitioned by it).
SELECT
    ingest_date,
    energy_type,
    transaction_type,
    trade_count,
    total_quantity AS quantity_mwh,
    avg_price
FROM analytics.daily_energy_summary
ORDER BY ingest_date, energy_type, transaction_type
