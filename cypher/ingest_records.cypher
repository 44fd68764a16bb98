// One customer row per element of $rows; a record is rewritten only when its content hash
// changed, so re-ingesting the same file changes nothing. Returns the rids that changed.
UNWIND $rows AS row
MERGE (r:Record {rid: row.rid})
ON CREATE SET
  r.source = row.source,
  r.source_id = row.source_id,
  r.created_at = $now,
  r.first_batch_id = $batch_id
WITH r, row, r.hash IS NULL OR r.hash <> row.hash AS changed
CALL (r, row, changed) {
  WITH r, row, changed
  WHERE changed
  SET r += row.props,
      r.hash = row.hash,
      r.raw = row.raw,
      r.issues = row.issues,
      r.batch_id = $batch_id,
      r.file = row.file,
      r.row = row.row,
      r.observed_at = row.observed_at,
      r.updated_at = $now,
      r.stub = null,
      r.dirty = true
}
WITH r, changed
WHERE changed
RETURN r.rid AS rid
