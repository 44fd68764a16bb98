// Records outside a profile that carry its identifiers, and their profiles: what the
// profile could have joined, for the graph view.
UNWIND $keys AS key
MATCH (:Identifier {key: key})<-[h:HAS_IDENTIFIER]-(r:Record)
WHERE NOT EXISTS { (r)-[:IN_PROFILE]->(:Profile {pid: $pid}) }
OPTIONAL MATCH (r)-[:IN_PROFILE]->(p:Profile)
RETURN key, r.rid AS rid, r.source AS source, r.given_name AS given_name,
       r.family_name AS family_name, p.pid AS pid, h.refused AS refused
ORDER BY key, rid
LIMIT $limit
