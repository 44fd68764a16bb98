// What erasing these profiles and records touches: every record of the profiles (and the
// records named), the retired ids merged into the profiles, the identifiers the records
// carry (and whether anyone else carries them), and the records outside that share a
// linking identifier or a link with them (to be resolved again).
CALL () {
  UNWIND $pids AS pid
  MATCH (:Profile {pid: pid})<-[:IN_PROFILE]-(r:Record)
  RETURN r
  UNION
  UNWIND $rids AS rid
  MATCH (r:Record {rid: rid})
  RETURN r
}
WITH collect(DISTINCT r) AS records
WITH records, [r IN records | r.rid] AS rids
CALL () {
  UNWIND $pids AS pid
  MATCH (old:Profile)-[:MERGED_INTO*1..50]->(:Profile {pid: pid})
  RETURN collect(DISTINCT old.pid) AS retired
}
CALL (records, rids) {
  UNWIND records AS r
  MATCH (r)-[:HAS_IDENTIFIER]->(i:Identifier)
  WITH DISTINCT i, rids
  RETURN collect({
    key: i.key,
    exclusive: NOT EXISTS {
      MATCH (i)<-[:HAS_IDENTIFIER]-(o:Record) WHERE NOT o.rid IN rids
    }
  }) AS identifiers
}
CALL (records, rids) {
  UNWIND records AS r
  MATCH (r)-[:HAS_IDENTIFIER]->(i:Identifier)<-[:HAS_IDENTIFIER]-(o:Record)
  WHERE i.blocked IS NULL AND i.shared IS NULL AND NOT o.rid IN rids
  RETURN collect(DISTINCT o.rid) AS sharing
}
CALL (records, rids) {
  UNWIND records AS r
  MATCH (r)-[:MATCHES|SAME_AS]-(o:Record)
  WHERE NOT o.rid IN rids
  RETURN collect(DISTINCT o.rid) AS linked
}
RETURN rids, retired, identifiers, sharing, linked
