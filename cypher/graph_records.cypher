// Records by id with their profile, for the nodes of the graph view.
UNWIND $rids AS rid
MATCH (r:Record {rid: rid})
OPTIONAL MATCH (r)-[:IN_PROFILE]->(p:Profile)
RETURN r.rid AS rid, r.source AS source, r.given_name AS given_name,
       r.family_name AS family_name, p.pid AS pid
