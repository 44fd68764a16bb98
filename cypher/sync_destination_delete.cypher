MATCH (d:Destination {id: $id})
DETACH DELETE d
RETURN count(*) AS deleted
