MATCH (a:Record {rid: $a}), (b:Record {rid: $b})
MERGE (a)-[s:SAME_AS]->(b)
ON CREATE SET s.by = $by, s.at = $now
SET a.dirty = true, b.dirty = true
RETURN a.rid AS a, b.rid AS b
