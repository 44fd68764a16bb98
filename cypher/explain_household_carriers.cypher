// Every record carrying each of these household identifiers, with its name: explanations
// group them into members as resolution does (matching/households.py).
UNWIND $keys AS key
MATCH (i:Identifier {key: key})<-[:HAS_IDENTIFIER]-(r:Record)
RETURN key, collect([r.rid, r.given_name, r.family_name]) AS carriers
