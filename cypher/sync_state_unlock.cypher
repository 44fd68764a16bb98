// An operator frees a link's lease (`cdp sync --unlock`), whoever holds it.
MATCH (st:SyncState {id: $id})
WITH st, st.running_run AS held
SET st.running_run = null, st.running_since = null, st.running_heartbeat = null,
    st.running_host = null, st.running_pid = null
RETURN held
