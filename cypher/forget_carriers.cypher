// The records carrying an identifier, grouped by their profile (null: not resolved yet).
MATCH (:Identifier {key: $key})<-[:HAS_IDENTIFIER]-(r:Record)
OPTIONAL MATCH (r)-[:IN_PROFILE]->(p:Profile)
RETURN p.pid AS pid, collect(r.rid) AS rids
ORDER BY pid
