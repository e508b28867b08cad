-- Question: which customers spend the most with us? (customers appear as tokens: no personal data)
-- Parameters: LIMIT 10 = how many customers.
SELECT
    customer_key,
    id_type,
    city,
    trade_count,
    total_quantity AS quantity_mwh,
    total_spend
FROM analytics.customer_summary
ORDER BY total_spend DESC, customer_key
LIMIT 10
