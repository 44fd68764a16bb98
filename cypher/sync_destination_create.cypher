// A new destination; returns no row when the id is taken. `config_json` holds no secrets.
OPTIONAL MATCH (old:Destination {id: $id})
WITH old
WHERE old IS NULL
CREATE (d:Destination {
  id: $id, kind: $kind, name: $name, config_json: $config_json, created_at: $now,
  updated_at: $now
})
RETURN d {.*} AS destination
