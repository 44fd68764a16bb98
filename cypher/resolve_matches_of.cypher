// Every MATCHES link touching these records, as one row of [a, b, rejected, probability].
UNWIND $rids AS rid
MATCH (a:Record {rid: rid})-[m:MATCHES]-(b:Record)
RETURN collect([a.rid, b.rid, m.rejected = true, m.match_probability]) AS rows
