MATCH (a:Record)-[:SAME_AS]->(b:Record)
RETURN a.rid AS a, b.rid AS b
