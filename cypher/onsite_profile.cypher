// The storefront's visitor: the current profile whose records carry the identifier (by key,
// or an email's SHA-256), the one with the most carrying records first; its traits and the
// ids of its segments. Nothing personal leaves this query but what the caller picks from
// `traits` (the onsite settings' allow-list).
OPTIONAL MATCH (k:Identifier {key: $key})
OPTIONAL MATCH (h:Identifier {sha256: $sha256})
WITH coalesce(k, h) AS i
MATCH (i)<-[:HAS_IDENTIFIER]-(:Record)-[:IN_PROFILE]->(p:Profile)
WHERE p.retired IS NULL
WITH p, count(*) AS carriers
ORDER BY carriers DESC, p.pid
LIMIT 1
RETURN properties(p) AS traits,
       COLLECT { MATCH (p)-[:IN_SEGMENT]->(s:Segment) RETURN s.id ORDER BY s.id } AS segments
