// The audit's identifiers carried by the most records, with how many distinct names those
// records give (many names on one identifier: a shared or test value that must not merge).
MATCH (i:Identifier)
WITH i, COUNT { (i)<-[:HAS_IDENTIFIER]-() } AS records
WHERE records >= $min_records
ORDER BY records DESC
LIMIT $limit
RETURN i.key AS key,
       i.type AS type,
       i.value AS value,
       records,
       COLLECT {
         MATCH (i)<-[:HAS_IDENTIFIER]-(r:Record)
         WITH DISTINCT r.source AS source
         RETURN source ORDER BY source
       } AS sources,
       size(COLLECT {
         MATCH (i)<-[:HAS_IDENTIFIER]-(r:Record)
         WHERE r.given_name IS NOT NULL
         RETURN DISTINCT toLower(r.given_name)
       }) AS given_names,
       size(COLLECT {
         MATCH (i)<-[:HAS_IDENTIFIER]-(r:Record)
         WHERE r.family_name IS NOT NULL
         RETURN DISTINCT toLower(r.family_name)
       }) AS family_names,
       i.blocked AS blocked,
       i.generic AS generic
ORDER BY records DESC, key
