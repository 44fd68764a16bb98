MATCH (m:Model {id: $id})
RETURN properties(m) AS model
