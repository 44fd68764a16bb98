MATCH (r:Record)-[:HAS_IDENTIFIER]->(i:Identifier)
RETURN r.rid AS rid, i.key AS key, i.blocked AS blocked, i.generic AS generic
