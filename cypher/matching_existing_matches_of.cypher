// Every MATCHES link touching these records, as one row of [a, b, rejected, weight, model
// version] per link (a and b as stored), so that scoring writes only the links that changed.
UNWIND $rids AS rid
MATCH (:Record {rid: rid})-[m:MATCHES]-(:Record)
WITH DISTINCT m
WITH m, startNode(m) AS a, endNode(m) AS b
RETURN collect([a.rid, b.rid, m.rejected = true, m.match_weight, m.model_version]) AS rows
