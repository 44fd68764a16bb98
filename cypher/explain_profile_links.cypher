// Every edge that can join the records of these profiles, with its evidence and flags.
UNWIND $pids AS pid
MATCH (p:Profile {pid: pid})<-[:IN_PROFILE]-(r:Record)
CALL (r) {
  MATCH (r)-[h:HAS_IDENTIFIER]->(i:Identifier)
  RETURN 'identifier' AS kind, i.key AS target, i.type AS type,
         {blocked: i.blocked, generic: i.generic, shared: i.shared, refused: h.refused,
          first_seen: h.first_seen} AS info
  UNION
  MATCH (r)-[m:MATCHES]->(o:Record)
  RETURN 'match' AS kind, o.rid AS target, null AS type,
         {weight: m.match_weight, probability: m.match_probability, evidence: m.evidence,
          rejected: m.rejected, name_postcode: m.name_postcode} AS info
  UNION
  MATCH (r)-[s:SAME_AS]->(o:Record)
  RETURN 'forced' AS kind, o.rid AS target, null AS type, {by: s.by, at: s.at} AS info
}
RETURN pid, r.rid AS rid, kind, target, type, info
