MATCH (d:Destination {id: $id})
RETURN d {.*} AS destination
