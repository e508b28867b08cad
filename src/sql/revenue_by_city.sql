-- Question: how much revenue and energy does each customer city bring, per energy type?
-- Parameters: none.
SELECT
    city,
    energy_type,
    SUM(trade_count) AS trades,
    SUM(total_quantity) AS quantity_mwh,
    SUM(total_revenue) AS revenue
FROM analytics.city_demand
GROUP BY city, energy_type
ORDER BY revenue DESC, city, energy_type
