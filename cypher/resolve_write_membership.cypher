// Move records to their profile; one transaction per batch of components. The record's
// old membership is deleted first, so the new one is created rather than merged. Rows are
// [rid, pid] pairs (a full first resolution moves every record: no map per row).
UNWIND $rows AS row
MATCH (r:Record {rid: row[0]})
OPTIONAL MATCH (r)-[old:IN_PROFILE]->(:Profile)
DELETE old
WITH DISTINCT r, row
MERGE (p:Profile {pid: row[1]})
ON CREATE SET p.created_at = $now, p:Unsettled, p.settle_run = $run_id
CREATE (r)-[:IN_PROFILE]->(p)
