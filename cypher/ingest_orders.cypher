// Orders attach to the source record that placed them; a record the customer file did not
// hold yet is created as a stub that a later customer row fills in.
UNWIND $rows AS row
MERGE (o:Order {oid: row.oid})
SET o += row.props
WITH o, row
// A row with no customer (an anonymous walk-in) keeps its order without a record.
CALL (o, row) {
  WITH o, row
  WHERE row.rid IS NOT NULL
  MERGE (r:Record {rid: row.rid})
  ON CREATE SET
    r.source = row.source,
    r.source_id = row.customer_source_id,
    r.created_at = $now,
    r.first_batch_id = $batch_id,
    r.stub = true,
    r.dirty = true
  MERGE (o)-[:PLACED_BY]->(r)
}
