// What the records carrying each identifier say, for generic-identifier detection. Only
// identifiers carried by at least $min_records records can be generic; one carried by at
// least its type's cap ($max_records by type, else $max_records_default) is generic by its
// count alone, so its records are not read (a store's default email has tens of thousands).
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
WITH i, COUNT { (i)<-[:HAS_IDENTIFIER]-() } AS degree
WHERE degree >= $min_records
WITH i, degree, degree >= coalesce($max_records[i.type], $max_records_default) AS capped
OPTIONAL MATCH (i)<-[:HAS_IDENTIFIER]-(r:Record)
WHERE NOT capped
RETURN i.key AS key, i.type AS type, degree AS records,
       collect(DISTINCT r.given_name) AS given_names,
       collect(DISTINCT r.family_name) AS family_names,
       count(DISTINCT r.postcode) AS postcodes,
       count(DISTINCT r.dob) AS dobs
