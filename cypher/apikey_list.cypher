// Every key, without its hash.
MATCH (k:ApiKey)
RETURN k.name AS name, k.role AS role, k.created_at AS created_at,
       k.revoked AS revoked, k.revoked_at AS revoked_at
ORDER BY k.created_at, k.name
