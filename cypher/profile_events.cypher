// A page of each profile's engagement events, newest first (see profile_orders).
UNWIND $rows AS row
CALL (row) {
  MATCH (:Profile {pid: row.pid})<-[:IN_PROFILE]-(:Record)<-[:BY]-(e:Event)
  WITH e, coalesce(e.ts, '') AS at
  WHERE row.after_eid IS NULL
     OR at < row.after_at
     OR (at = row.after_at AND e.eid < row.after_eid)
  WITH e, at
  ORDER BY at DESC, e.eid DESC
  WITH collect(properties(e)) AS all
  RETURN all[0..row.first + 1] AS events
}
RETURN row.i AS i, events,
       COUNT { (:Profile {pid: row.pid})<-[:IN_PROFILE]-(:Record)<-[:BY]-(:Event) } AS total
