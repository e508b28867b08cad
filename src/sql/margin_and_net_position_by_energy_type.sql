-- Question: what is our gross margin (sales revenue - purchase cost) and net position
-- (MWh bought - MWh sold) per energy type over the whole period?
-- Parameters: none (add WHERE ingest_date BETWEEN ... to restrict the period).
SELECT
    energy_type,
    SUM(bought_quantity) AS bought_mwh,
    SUM(sold_quantity) AS sold_mwh,
    SUM(net_position) AS net_position_mwh,
    SUM(purchase_cost) AS purchase_cost,
    SUM(sales_revenue) AS sales_revenue,
    SUM(gross_margin) AS gross_margin
FROM analytics.daily_position
GROUP BY energy_type
ORDER BY energy_type
