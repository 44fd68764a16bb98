MATCH (d:Destination {id: $id})
SET d.name = coalesce($name, d.name),
    d.config_json = coalesce($config_json, d.config_json),
    d.updated_at = $now
RETURN d {.*} AS destination
