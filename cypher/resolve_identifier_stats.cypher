// What the records carrying each identifier say, for generic-identifier detection. Only
// identifiers carried by at least $min_records records can be generic.
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
WHERE COUNT { (i)<-[:HAS_IDENTIFIER]-() } >= $min_records
MATCH (i)<-[:HAS_IDENTIFIER]-(r:Record)
RETURN i.key AS key, i.type AS type, count(r) AS records,
       collect(DISTINCT r.given_name) AS given_names,
       collect(DISTINCT r.family_name) AS family_names,
       count(DISTINCT r.postcode) AS postcodes,
       count(DISTINCT r.dob) AS dobs
