// A new API key, stored by the sha256 of its text (the text itself is never stored). A name
// is unique among keys not revoked: nothing is created, and no row returned, when it is taken.
OPTIONAL MATCH (taken:ApiKey {name: $name})
WHERE taken.revoked = false
WITH count(taken) AS taken
WHERE taken = 0
CREATE (k:ApiKey {
  hash: $hash,
  name: $name,
  role: $role,
  created_at: $now,
  revoked: false
})
RETURN k.name AS name
