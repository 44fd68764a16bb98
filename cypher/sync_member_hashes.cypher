// What the destination last received, by pid: the hash of the synced fields.
MATCH (m:SyncMember)
WHERE m.state = $state
RETURN m.pid AS pid, m.hash AS hash
