// A page of records in rid order, one row per page: `rows` holds [rid, pid] of each record
// (pid null when it is in no profile), for a full resolution read as columns
// (`matching.partition`).
MATCH (r:Record)
WHERE r.rid > $after
WITH r
ORDER BY r.rid
LIMIT $page
WITH collect(r) AS page
CALL (page) {
  UNWIND page AS r
  OPTIONAL MATCH (r)-[:IN_PROFILE]->(p:Profile)
  RETURN collect([r.rid, p.pid]) AS rows
}
RETURN page[-1].rid AS last, size(page) AS scanned, rows
