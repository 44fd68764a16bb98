UNWIND $rids AS rid
MATCH (r:Record {rid: rid})
OPTIONAL MATCH (r)-[:IN_PROFILE]->(p:Profile)
RETURN r.rid AS rid, p.pid AS pid
