-- Question: what share of the energy we buy comes from each provider?
-- Parameters: none. purchase_share is the provider's MWh over all MWh bought (unresolved buys included).
SELECT
    provider_name,
    energy_type,
    trade_count,
    total_quantity AS quantity_mwh,
    total_cost,
    purchase_share
FROM analytics.provider_summary
ORDER BY purchase_share DESC, provider_name
