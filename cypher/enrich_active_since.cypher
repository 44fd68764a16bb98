// Active profiles with an order placed or an event after the watermarks of the last run.
CALL () {
  MATCH (o:Order)
  WHERE o.placed_at > $orders_since
  MATCH (o)-[:PLACED_BY]->(:Record)-[:IN_PROFILE]->(p:Profile)
  RETURN p
  UNION
  MATCH (e:Event)
  WHERE e.ts > $events_since
  MATCH (e)-[:BY]->(:Record)-[:IN_PROFILE]->(p:Profile)
  RETURN p
}
WITH DISTINCT p
WHERE p.retired IS NULL
RETURN p.pid AS pid
