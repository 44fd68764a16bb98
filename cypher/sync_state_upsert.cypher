// The link of a segment to a destination: where it goes (external list or audience id),
// how often, and (as SyncMember nodes) what the destination last received.
MATCH (s:Segment {id: $segment})
MATCH (d:Destination {id: $destination})
MERGE (st:SyncState {id: $id})
ON CREATE SET st.segment = $segment, st.destination = $destination, st.created_at = $now,
              st.enabled = true
SET st.external_id = CASE WHEN $set_external_id THEN $external_id ELSE st.external_id END,
    st.interval_seconds = CASE WHEN $set_interval THEN $interval_seconds
                               ELSE st.interval_seconds END,
    st.enabled = coalesce($enabled, st.enabled),
    st.updated_at = $now
MERGE (st)-[:FOR_SEGMENT]->(s)
MERGE (st)-[:TO]->(d)
RETURN st {.*} AS state
