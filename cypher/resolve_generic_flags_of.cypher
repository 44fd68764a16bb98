UNWIND $keys AS key
MATCH (i:Identifier {key: key})
WHERE i.generic IS NOT NULL
RETURN i.key AS key, i.generic AS generic
