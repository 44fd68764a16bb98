// Identifiers that no record outside the erased ones carries.
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
WHERE NOT EXISTS { MATCH (i)<-[:HAS_IDENTIFIER]-(o:Record) WHERE NOT o.rid IN $rids }
DETACH DELETE i
RETURN count(*) AS deleted
