MATCH (i:Identifier)
WHERE i.type IN $types AND COUNT { (i)<-[:HAS_IDENTIFIER]-() } >= 2
MATCH (i)<-[:HAS_IDENTIFIER]-(r:Record)
WHERE r.given_name IS NOT NULL
WITH i, collect(DISTINCT [r.given_name, coalesce(r.family_name, '')]) AS names
WHERE size(names) >= 2
RETURN i.key AS key, names
