// Move records to their profile; one transaction per batch of components. The record's
// old membership is deleted first, so the new one is created rather than merged.
UNWIND $rows AS row
MATCH (r:Record {rid: row.rid})
OPTIONAL MATCH (r)-[old:IN_PROFILE]->(:Profile)
DELETE old
WITH DISTINCT r, row
MERGE (p:Profile {pid: row.pid})
ON CREATE SET p.created_at = $now
CREATE (r)-[:IN_PROFILE]->(p)
