// The orders of the active profiles of $pids, as enrich_orders_all returns them.
UNWIND $pids AS pid
MATCH (p:Profile {pid: pid})
WHERE p.retired IS NULL
CALL (p) {
  MATCH (p)<-[:IN_PROFILE]-(:Record)<-[:PLACED_BY]-(o:Order)
  RETURN collect(o.placed_at) AS placed_at, collect(o.total) AS totals,
         collect(o.channel) AS channels, collect(o.line_categories) AS categories,
         collect(o.line_prices) AS prices, collect(o.line_quantities) AS quantities
}
WITH p, placed_at, totals, channels, categories, prices, quantities
WHERE size(placed_at) > 0
RETURN p.pid AS pid, placed_at, totals, channels, categories, prices, quantities
