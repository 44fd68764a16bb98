// Records built from many activity rows (POS transactions, web events): each row adds what
// it knows. A value the record lacks is filled in; a value it has is replaced only by a
// newer row (observed later), so re-ingesting the same rows changes nothing. Identifiers
// accumulate too: every row's links (`row.links`) are merged, in the chunk's transaction,
// and a new link marks the record dirty for resolution. Returns how many records changed.
UNWIND $rows AS row
MERGE (r:Record {rid: row.rid})
ON CREATE SET
  r.source = row.source,
  r.source_id = row.source_id,
  r.created_at = $now,
  r.first_batch_id = $batch_id
WITH r, row,
  row.observed_at IS NOT NULL
    AND (r.observed_at IS NULL OR row.observed_at > r.observed_at) AS newer
WITH r, row, newer,
  [k IN keys(row.props) WHERE r[k] IS NULL OR (newer AND r[k] <> row.props[k])] AS updates
WITH r, row, newer, updates, r.hash IS NULL OR size(updates) > 0 AS changed
CALL (r, row, newer, updates, changed) {
  WITH r, row, newer, updates, changed
  WHERE changed
  FOREACH (k IN updates | SET r[k] = row.props[k])
  SET r.hash = coalesce(r.hash, row.hash),
      r.issues = row.issues,
      r.batch_id = $batch_id,
      r.file = row.file,
      r.row = row.row,
      r.raw = CASE WHEN newer OR r.raw IS NULL THEN row.raw ELSE r.raw END,
      r.observed_at = CASE WHEN newer THEN row.observed_at ELSE r.observed_at END,
      r.updated_at = $now,
      r.stub = null,
      r.dirty = true
}
CALL (r, row) {
  UNWIND row.links AS l
  MERGE (i:Identifier {key: l.key})
  ON CREATE SET i.type = l.type, i.value = l.value, i.created_at = $now, i.sha256 = l.sha256
  MERGE (r)-[h:HAS_IDENTIFIER]->(i)
  ON CREATE SET
    h.first_seen = row.observed_at,
    h.last_seen = row.observed_at,
    h.batch_id = $batch_id,
    r.dirty = true
  ON MATCH SET h.last_seen = CASE
    WHEN row.observed_at IS NOT NULL AND (h.last_seen IS NULL OR row.observed_at > h.last_seen)
      THEN row.observed_at
    ELSE h.last_seen END
}
RETURN count(CASE WHEN changed THEN 1 END) AS changed
