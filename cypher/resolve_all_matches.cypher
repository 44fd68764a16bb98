MATCH (a:Record)-[m:MATCHES]->(b:Record)
RETURN a.rid AS a, b.rid AS b, m.rejected = true AS rejected,
       m.match_probability AS probability
