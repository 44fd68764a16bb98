// The key whose sha256 is $hash: who it belongs to, its role and whether it is revoked.
MATCH (k:ApiKey {hash: $hash})
RETURN k.name AS name, k.role AS role, k.revoked AS revoked
