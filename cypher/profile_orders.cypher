// A page of each profile's orders, newest first. A row continues after the order
// (`after_at`, `after_oid`) that ended the previous page; one order more than the page is
// returned so the caller knows whether another page follows.
UNWIND $rows AS row
CALL (row) {
  MATCH (:Profile {pid: row.pid})<-[:IN_PROFILE]-(:Record)<-[:PLACED_BY]-(o:Order)
  WITH o, coalesce(o.placed_at, '') AS at
  WHERE row.after_oid IS NULL
     OR at < row.after_at
     OR (at = row.after_at AND o.oid < row.after_oid)
  WITH o, at
  ORDER BY at DESC, o.oid DESC
  WITH collect(properties(o)) AS all
  RETURN all[0..row.first + 1] AS orders
}
RETURN row.i AS i, orders,
       COUNT { (:Profile {pid: row.pid})<-[:IN_PROFILE]-(:Record)<-[:PLACED_BY]-(:Order) } AS total
