// Forget a link and what its destination was sent (the destination keeps its copy).
MATCH (st:SyncState)
WHERE ($segment IS NULL OR st.segment = $segment)
  AND ($destination IS NULL OR st.destination = $destination)
CALL (st) {
  MATCH (m:SyncMember)
  WHERE m.state = st.id
  DELETE m
}
WITH DISTINCT st
DETACH DELETE st
RETURN count(*) AS deleted
