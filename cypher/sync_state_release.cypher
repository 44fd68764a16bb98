MATCH (st:SyncState {id: $id})
WHERE st.running_run = $run_id
SET st.running_run = null,
    st.running_since = null,
    st.running_heartbeat = null,
    st.running_host = null,
    st.running_pid = null,
    st.last_run_id = $run_id,
    st.last_started_at = $started_at,
    st.last_finished_at = $finished_at,
    st.last_status = $status
RETURN st.id AS id
