UNWIND $pids AS pid
MATCH (m:SyncMember {key: $state + '|' + pid})
DELETE m
