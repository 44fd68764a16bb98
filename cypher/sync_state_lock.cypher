// Take the link's lock. The first SET takes the node's write lock, so the check below
// reads the committed state of any run that got there first.
MATCH (st:SyncState {id: $id})
SET st.lock_touched_at = $now
WITH st
WHERE st.running_run IS NULL OR st.running_since < $stale_before
SET st.running_run = $run_id, st.running_since = $now
RETURN st.id AS id
