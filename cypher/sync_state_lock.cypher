// Take the link's lease. The first SET takes the node's write lock, so the check below
// reads the committed state of any run that got there first. A lease is free when no run
// holds it, when its holder's heartbeat is older than `$stale_before`, or when its holder
// is known dead (`$dead_run`, a process of this host that no longer runs).
MATCH (st:SyncState {id: $id})
SET st.lock_touched_at = $now
WITH st
WHERE st.running_run IS NULL
   OR coalesce(st.running_heartbeat, st.running_since) < $stale_before
   OR st.running_run = $dead_run
SET st.running_run = $run_id, st.running_since = $now, st.running_heartbeat = $now,
    st.running_host = $host, st.running_pid = $pid
RETURN st.id AS id
