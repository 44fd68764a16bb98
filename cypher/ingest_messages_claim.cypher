// Claim Segment-spec messages for one request, atomically. MERGE on the unique message_id
// serialises concurrent requests, so exactly one of them creates (claims) each id and the
// others see it and answer "duplicate". A claim still pending after $stale_before (its
// request died between claiming and writing) is taken over, so nothing is lost.
UNWIND $rows AS row
MERGE (m:SegmentMessage {message_id: row.message_id})
ON CREATE SET m.type = row.type, m.claim = $claim, m.pending_since = $now
ON MATCH SET
  m.claim = CASE WHEN m.pending_since < $stale_before THEN $claim ELSE m.claim END,
  m.pending_since = CASE WHEN m.claim = $claim THEN $now ELSE m.pending_since END
WITH m
WHERE m.claim = $claim
RETURN m.message_id AS message_id
