// After scoring these records against all others: their MATCHES links this run did not
// accept again are removed and both ends marked for resolution. An operator's rejection
// stays.
UNWIND $rids AS rid
MATCH (:Record {rid: rid})-[m:MATCHES]-(:Record)
WHERE m.rejected IS NULL AND (m.run IS NULL OR m.run <> $run)
WITH collect(DISTINCT m) AS stale
UNWIND stale AS m
WITH m, startNode(m) AS a, endNode(m) AS b
SET a.dirty = true, b.dirty = true
DELETE m
