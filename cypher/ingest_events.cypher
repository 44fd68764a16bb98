UNWIND $rows AS row
MERGE (e:Event {eid: row.eid})
SET e += row.props
WITH e, row
// A row with no customer (an anonymous walk-in) keeps its event without a record.
CALL (e, row) {
  WITH e, row
  WHERE row.rid IS NOT NULL
  MERGE (r:Record {rid: row.rid})
  ON CREATE SET
    r.source = row.source,
    r.source_id = row.customer_source_id,
    r.created_at = $now,
    r.first_batch_id = $batch_id,
    r.stub = true,
    r.dirty = true
  MERGE (e)-[:BY]->(r)
}
