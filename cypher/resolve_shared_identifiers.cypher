MATCH (i:Identifier)
WHERE i.shared = true
RETURN i.key AS key
