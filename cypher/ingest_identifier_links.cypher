// Observed links: this record carried this identifier. A new link marks the record dirty
// for resolution. Emails carry their SHA-256 (the onsite look-up by hashed email).
UNWIND $links AS l
MERGE (i:Identifier {key: l.key})
ON CREATE SET i.type = l.type, i.value = l.value, i.created_at = $now, i.sha256 = l.sha256
WITH i, l
MATCH (r:Record {rid: l.rid})
MERGE (r)-[h:HAS_IDENTIFIER]->(i)
ON CREATE SET h.first_seen = l.seen, h.last_seen = l.seen, h.batch_id = $batch_id, r.dirty = true
ON MATCH SET h.last_seen = CASE
  WHEN l.seen IS NOT NULL AND (h.last_seen IS NULL OR l.seen > h.last_seen) THEN l.seen
  ELSE h.last_seen END
