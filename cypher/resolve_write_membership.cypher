// Move records to their profile; one transaction per batch of components.
UNWIND $rows AS row
MATCH (r:Record {rid: row.rid})
OPTIONAL MATCH (r)-[old:IN_PROFILE]->(:Profile)
DELETE old
WITH r, row
MERGE (p:Profile {pid: row.pid})
ON CREATE SET p.created_at = $now
MERGE (r)-[:IN_PROFILE]->(p)
