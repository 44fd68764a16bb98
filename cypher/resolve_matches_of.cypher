// Every MATCHES link touching these records, as one row of [a, b, rejected, probability,
// name and postcode only].
UNWIND $rids AS rid
MATCH (a:Record {rid: rid})-[m:MATCHES]-(b:Record)
RETURN collect([a.rid, b.rid, m.rejected = true, m.match_probability, m.name_postcode = true]) AS rows
