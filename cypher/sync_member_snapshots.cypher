// The identifiers last sent for these pids: a removal names what was added.
UNWIND $pids AS pid
MATCH (m:SyncMember {key: $state + '|' + pid})
RETURN m.pid AS pid, m.snapshot AS snapshot
