MATCH (st:SyncState {id: $id})
RETURN st {.*, members: COUNT { MATCH (m:SyncMember) WHERE m.state = st.id }} AS state
