UNWIND $rids AS rid
MATCH (a:Record {rid: rid})-[m:MATCHES]-(b:Record)
RETURN a.rid AS a, b.rid AS b, m.rejected = true AS rejected,
       m.match_probability AS probability
