// What each record offers to identify its person: the identifiers that may link (not
// blocked, of a type that links) and the attributes a match compares.
MATCH (r:Record)
OPTIONAL MATCH (r)-[:HAS_IDENTIFIER]->(i:Identifier)
WHERE i.blocked IS NULL AND NOT i.type IN $nonlinking
RETURN r.rid AS rid, r.given_name AS given_name, r.family_name AS family_name,
       r.dob AS dob, r.postcode AS postcode, r.address AS address, r.email AS email,
       r.phone AS phone, collect(i.key) AS keys
