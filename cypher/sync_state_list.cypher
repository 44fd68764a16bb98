MATCH (st:SyncState)
WHERE ($segment IS NULL OR st.segment = $segment)
  AND ($destination IS NULL OR st.destination = $destination)
RETURN st {.*, members: COUNT { MATCH (m:SyncMember) WHERE m.state = st.id }} AS state
ORDER BY st.id
