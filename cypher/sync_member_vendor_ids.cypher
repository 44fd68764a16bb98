// The destination's own ids of these pids (a Klaviyo profile id), where one was learnt.
UNWIND $pids AS pid
MATCH (m:SyncMember {key: $state + '|' + pid})
WHERE m.vendor_id IS NOT NULL
RETURN m.pid AS pid, m.vendor_id AS vendor_id
