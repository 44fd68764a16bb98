// A dead run's profiles that lost every record before it retired them: retired now into
// the live profile their planned successor resolves to (merge history kept).
MATCH (o:Unsettled)
WHERE o.settle_run IN $runs AND o.retire_into IS NOT NULL AND o.retired IS NULL
  AND NOT EXISTS { (:Record)-[:IN_PROFILE]->(o) }
MATCH (:Profile {pid: o.retire_into})-[:MERGED_INTO*0..]->(live:Profile)
WHERE live.retired IS NULL AND live <> o AND EXISTS { (:Record)-[:IN_PROFILE]->(live) }
WITH o, head(collect(live)) AS live
SET o.retired = true, o.retired_at = $now, o.enrich_dirty = null
MERGE (o)-[:MERGED_INTO]->(live)
RETURN count(o) AS retired
