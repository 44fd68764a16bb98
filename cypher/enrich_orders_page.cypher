// A page of profiles in pid order, one row per page: `rows` holds, per active profile
// with orders, [pid, placed_at, totals, channels, line categories, line prices, line
// quantities] (lists per order); `last` is the cursor of the next page.
MATCH (p:Profile)
WHERE p.pid > $after
WITH p
ORDER BY p.pid
LIMIT $page
WITH collect(p) AS page
CALL (page) {
  UNWIND page AS p
  WITH p
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
}
RETURN page[-1].pid AS last, size(page) AS scanned, rows
