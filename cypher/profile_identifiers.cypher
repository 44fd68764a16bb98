// The distinct identifiers of each profile's records: how many records and which sources
// carry each, and when it was first and last seen.
UNWIND $pids AS pid
MATCH (:Profile {pid: pid})<-[:IN_PROFILE]-(r:Record)-[h:HAS_IDENTIFIER]->(i:Identifier)
WITH pid, i, count(r) AS records, collect(DISTINCT r.source) AS sources,
     min(h.first_seen) AS first_seen, max(h.last_seen) AS last_seen,
     collect(h.refused) AS refused
ORDER BY i.type, i.key
RETURN pid, collect({
  key: i.key, type: i.type, value: i.value,
  blocked: i.blocked, generic: i.generic, shared: i.shared,
  first_seen: first_seen, last_seen: last_seen,
  refused: CASE WHEN size(refused) > 0 THEN refused[0] ELSE null END,
  records: records, sources: sources
}) AS identifiers
