// Records the graph does not hold yet (`ingest_record_hashes` found none with their rid in
// this chunk's transaction), with their identifier links. A new record has no stale links
// to delete, no content hash to compare and no earlier `last_seen` to keep, so each row is
// written once and only the shared identifiers are merged. The record and its links are
// still MERGEd, so a record another writer created since the look-up is not duplicated (it
// keeps what that writer wrote; the next ingest of this row compares hashes as usual).
UNWIND $rows AS row
MERGE (r:Record {rid: row.rid})
ON CREATE SET
  r += row.props,
  r += {source: row.source, source_id: row.source_id, created_at: $now, first_batch_id: $batch_id,
      hash: row.hash, raw: row.raw, issues: row.issues, batch_id: $batch_id, file: row.file,
      row: row.row, observed_at: row.observed_at, updated_at: $now, dirty: true}
WITH r, row
UNWIND row.links AS l
MERGE (i:Identifier {key: l.key})
ON CREATE SET i.type = l.type, i.value = l.value, i.created_at = $now, i.sha256 = l.sha256
MERGE (r)-[h:HAS_IDENTIFIER]->(i)
ON CREATE SET h.first_seen = row.observed_at, h.last_seen = row.observed_at, h.batch_id = $batch_id
