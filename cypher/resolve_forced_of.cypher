UNWIND $rids AS rid
MATCH (a:Record {rid: rid})-[:SAME_AS]-(b:Record)
RETURN a.rid AS a, b.rid AS b
