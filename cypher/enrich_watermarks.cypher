// The latest order and event times in the graph (read through the range indexes).
CALL () {
  MATCH (o:Order)
  WHERE o.placed_at IS NOT NULL
  RETURN o.placed_at AS orders
  ORDER BY o.placed_at DESC
  LIMIT 1
}
CALL () {
  MATCH (e:Event)
  WHERE e.ts IS NOT NULL
  RETURN e.ts AS events
  ORDER BY e.ts DESC
  LIMIT 1
}
RETURN orders, events
