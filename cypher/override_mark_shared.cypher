MATCH (i:Identifier {key: $key})
SET i.shared = $shared, i.shared_by = $by, i.shared_at = $now
WITH i
MATCH (i)<-[:HAS_IDENTIFIER]-(r:Record)
SET r.dirty = true
RETURN count(r) AS records
