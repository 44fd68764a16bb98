// One step of the closure of an incremental resolution: from these records, the records
// that share an identifier allowed to link (or a match, or a forced link), and every record
// of the profiles those records are in. A household's shared identifier (flagged generic
// with the $household prefix) still links each member's own records, so it is followed too.
UNWIND $rids AS rid
MATCH (r:Record {rid: rid})
CALL (r) {
  MATCH (r)-[:HAS_IDENTIFIER]->(i:Identifier)<-[:HAS_IDENTIFIER]-(o:Record)
  WHERE i.blocked IS NULL AND i.shared IS NULL AND NOT i.type IN $nonlinking
    AND (i.generic IS NULL OR i.generic STARTS WITH $household OR i.key IN $rechecked)
  RETURN o
  UNION
  MATCH (r)-[:MATCHES|SAME_AS]-(o:Record)
  RETURN o
  UNION
  MATCH (r)-[:IN_PROFILE]->(:Profile)<-[:IN_PROFILE]-(o:Record)
  RETURN o
}
RETURN collect(DISTINCT o.rid) AS rows
