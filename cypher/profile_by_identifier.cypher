// The profiles whose records carry each identifier key, the profile with the most carrying
// records first (a shared household phone names several).
UNWIND $keys AS key
MATCH (:Identifier {key: key})<-[:HAS_IDENTIFIER]-(r:Record)-[:IN_PROFILE]->(p:Profile)
WITH key, p, count(r) AS carriers
ORDER BY carriers DESC, p.pid
RETURN key, collect(properties(p)) AS profiles
