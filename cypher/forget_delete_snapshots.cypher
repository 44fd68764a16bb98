// What destinations were last sent about the erased profiles (their identifiers).
MATCH (m:SyncMember)
WHERE m.pid IN $pids
DETACH DELETE m
RETURN count(*) AS deleted
