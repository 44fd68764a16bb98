// The (given, family) names of the records carrying each phone or email shared by several
// records: a household's shared identifier must not merge its members. One carried by at
// least its type's generic cap ($max_records by type, else $max_records_default) is
// generic and never a household's, so its records are not read.
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
WHERE i.type IN $types
WITH i, COUNT { (i)<-[:HAS_IDENTIFIER]-() } AS degree
WHERE degree >= 2 AND degree < coalesce($max_records[i.type], $max_records_default)
MATCH (i)<-[:HAS_IDENTIFIER]-(r:Record)
WHERE r.given_name IS NOT NULL
RETURN i.key AS key, collect(DISTINCT [r.given_name, coalesce(r.family_name, '')]) AS names
