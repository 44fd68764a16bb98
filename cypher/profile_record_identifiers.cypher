// The identifiers each record carries, with when they were seen and the resolver's flags.
UNWIND $rids AS rid
MATCH (:Record {rid: rid})-[h:HAS_IDENTIFIER]->(i:Identifier)
WITH rid, h, i
ORDER BY i.type, i.key
RETURN rid, collect({
  key: i.key, type: i.type, value: i.value,
  blocked: i.blocked, generic: i.generic, shared: i.shared,
  first_seen: h.first_seen, last_seen: h.last_seen, refused: h.refused,
  records: 1, sources: []
}) AS identifiers
