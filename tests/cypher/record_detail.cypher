MATCH (r:Record {rid: $rid})
OPTIONAL MATCH (r)-[:HAS_IDENTIFIER]->(i:Identifier)
RETURN properties(r) AS record, collect(i.key) AS identifiers
