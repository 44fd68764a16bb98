MATCH (i:Identifier)
WHERE COUNT { (i)<-[:HAS_IDENTIFIER]-() } >= $min_records
MATCH (i)<-[:HAS_IDENTIFIER]-(r:Record)
RETURN i.key AS key, i.type AS type, count(r) AS records,
       collect(DISTINCT r.given_name) AS given_names,
       collect(DISTINCT r.family_name) AS family_names,
       count(DISTINCT r.postcode) AS postcodes,
       count(DISTINCT r.dob) AS dobs
