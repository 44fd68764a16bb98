// The lease holder is alive: its heartbeat keeps the lease while the run lasts.
MATCH (st:SyncState {id: $id})
WHERE st.running_run = $run_id
SET st.running_heartbeat = $now
RETURN st.id AS id
