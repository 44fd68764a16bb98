MATCH (r:Record)
OPTIONAL MATCH (r)-[:IN_PROFILE]->(p:Profile)
RETURN r.source AS source, r.source_id AS source_id, r.rid AS rid, p.pid AS profile_id
