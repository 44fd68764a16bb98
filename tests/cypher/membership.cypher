MATCH (r:Record)-[:IN_PROFILE]->(p:Profile)
RETURN r.rid AS rid, p.pid AS pid
