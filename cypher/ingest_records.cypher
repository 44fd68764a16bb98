// One customer row per element of $rows, with its identifier links (`row.links`), all in the
// chunk's one transaction. A record is rewritten only when its content hash changed, so
// re-ingesting the same file changes nothing; the hash covers the identifier keys, and the
// links are written in the transaction that writes the hash, so an unchanged record's links
// are already there and are not sent again. A rewritten record loses the links its row no
// longer carries (its source says so). Returns how many records changed.
//
// Every lookup starts from the record just merged (the stale links are a pattern
// comprehension on it), so no plan cached while the graph was empty (a fresh database's
// first chunk) can scan identifiers or records per row on the chunks after it.
UNWIND $rows AS row
MERGE (r:Record {rid: row.rid})
ON CREATE SET
  r.source = row.source,
  r.source_id = row.source_id,
  r.created_at = $now,
  r.first_batch_id = $batch_id
WITH r, row, r.hash AS old
WITH r, row, old IS NULL OR old <> row.hash AS changed, old IS NOT NULL AND old <> row.hash AS rewritten
CALL (r, row, rewritten) {
  WITH r, row
  WHERE rewritten
  FOREACH (h IN [(r)-[h:HAS_IDENTIFIER]->(i) WHERE NOT i.key IN row.keys | h] | DELETE h)
}
CALL (r, row, changed) {
  WITH r, row
  WHERE changed
  SET r += row.props
  SET r += {hash: row.hash, raw: row.raw, issues: row.issues, batch_id: $batch_id, file: row.file,
      row: row.row, observed_at: row.observed_at, updated_at: $now, stub: null, dirty: true}
}
CALL (r, row, changed) {
  WITH r, row
  WHERE changed
  UNWIND row.links AS l
  MERGE (i:Identifier {key: l.key})
  ON CREATE SET i.type = l.type, i.value = l.value, i.created_at = $now, i.sha256 = l.sha256
  MERGE (r)-[h:HAS_IDENTIFIER]->(i)
  ON CREATE SET h.first_seen = row.observed_at, h.last_seen = row.observed_at, h.batch_id = $batch_id
  ON MATCH SET h.last_seen = CASE
    WHEN row.observed_at IS NOT NULL AND (h.last_seen IS NULL OR row.observed_at > h.last_seen)
      THEN row.observed_at
    ELSE h.last_seen END
}
RETURN count(CASE WHEN changed THEN 1 END) AS changed
