// An operator's split of a probabilistic link; kept (rejected) so re-matching cannot
// bring it back.
MATCH (a:Record {rid: $a}), (b:Record {rid: $b})
OPTIONAL MATCH (a)-[m:MATCHES]-(b)
WITH a, b, collect(m) AS existing
FOREACH (m IN existing | SET m.rejected = true, m.rejected_by = $by, m.rejected_at = $now)
FOREACH (_ IN CASE WHEN size(existing) = 0 THEN [1] ELSE [] END |
  MERGE (a)-[n:MATCHES]->(b)
  SET n.rejected = true, n.rejected_by = $by, n.rejected_at = $now)
SET a.dirty = true, b.dirty = true
RETURN a.rid AS a, b.rid AS b
