// The orders of the active profiles of $pids, as enrich_orders_page returns them.
UNWIND $pids AS pid
MATCH (p:Profile {pid: pid})
WHERE p.retired IS NULL
CALL (p) {
  MATCH (p)<-[:IN_PROFILE]-(:Record)<-[:PLACED_BY]-(o:Order)
  // collect() skips nulls: every value is coalesced so the lists stay aligned.
  RETURN collect(coalesce(o.placed_at, '')) AS placed_at,
         collect(coalesce(o.total, 0.0)) AS totals,
         collect(coalesce(o.channel, '')) AS channels,
         collect(coalesce(o.line_categories, [])) AS categories,
         collect(coalesce(o.line_prices, [])) AS prices,
         collect(coalesce(o.line_quantities, [])) AS quantities
}
WITH p, placed_at, totals, channels, categories, prices, quantities
WHERE size(placed_at) > 0
RETURN collect([p.pid, placed_at, totals, channels, categories, prices, quantities]) AS rows
