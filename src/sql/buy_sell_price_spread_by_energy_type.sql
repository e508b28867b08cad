-- Question: per energy type, what do we pay per MWh, what do we charge, and what is the spread?
-- Parameters: none. Average prices are amount / quantity over the period, rounded to 4 places.
WITH totals AS (
    SELECT
        energy_type,
        SUM(purchase_cost) AS purchase_cost,
        SUM(bought_quantity) AS bought_mwh,
        SUM(sales_revenue) AS sales_revenue,
        SUM(sold_quantity) AS sold_mwh
    FROM analytics.daily_position
    GROUP BY energy_type
)
SELECT
    energy_type,
    CAST(ROUND(purchase_cost / NULLIF(bought_mwh, 0), 4) AS DECIMAL(18, 4)) AS avg_buy_price,
    CAST(ROUND(sales_revenue / NULLIF(sold_mwh, 0), 4) AS DECIMAL(18, 4)) AS avg_sell_price,
    CAST(ROUND(sales_revenue / NULLIF(sold_mwh, 0), 4) AS DECIMAL(18, 4))
        - CAST(ROUND(purchase_cost / NULLIF(bought_mwh, 0), 4) AS DECIMAL(18, 4)) AS price_spread
FROM totals
ORDER BY energy_type
