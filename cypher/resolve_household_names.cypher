// The (given, family) names of the records carrying each phone or email shared by several
// records: a household's shared identifier must not merge its members.
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
WHERE i.type IN $types AND COUNT { (i)<-[:HAS_IDENTIFIER]-() } >= 2
MATCH (i)<-[:HAS_IDENTIFIER]-(r:Record)
WHERE r.given_name IS NOT NULL
RETURN i.key AS key, collect(DISTINCT [r.given_name, coalesce(r.family_name, '')]) AS names
