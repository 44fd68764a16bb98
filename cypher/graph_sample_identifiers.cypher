// A random sample of identifiers of some types that can link (for benchmarks and checks).
MATCH (i:Identifier)
WHERE i.type IN $types AND i.blocked IS NULL AND i.generic IS NULL AND rand() < $fraction
  AND EXISTS { (i)<-[:HAS_IDENTIFIER]-(:Record)-[:IN_PROFILE]->(:Profile) }
RETURN i.type AS type, i.value AS value
LIMIT $limit
