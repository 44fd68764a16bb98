MATCH (r:Record)
OPTIONAL MATCH (r)-[:IN_PROFILE]->(p:Profile)
RETURN r.rid AS rid, r.source AS source,
       coalesce(r.observed_at, r.updated_at, r.created_at) AS seen,
       r.given_name AS given_name, r.family_name AS family_name, r.email AS email,
       r.phone AS phone, r.address AS address, r.city AS city, r.state AS state,
       r.postcode AS postcode, r.country AS country, r.dob AS dob,
       p.pid AS pid, p.golden_hash AS golden_hash, r.dirty AS dirty,
       1 + COUNT { (r)<-[:PLACED_BY]-(:Order) } AS weight
