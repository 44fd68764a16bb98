// Revoke the keys of this name that are still valid; returns how many were revoked.
MATCH (k:ApiKey {name: $name})
WHERE k.revoked = false
SET k.revoked = true, k.revoked_at = $now
RETURN count(k) AS revoked
