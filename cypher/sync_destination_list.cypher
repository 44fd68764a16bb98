MATCH (d:Destination)
RETURN d {.*} AS destination
ORDER BY d.id
