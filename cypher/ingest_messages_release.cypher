// Ingesting the claimed messages failed: give the claims up, so the client's retry is
// ingested (delivery is at least once).
UNWIND $ids AS id
MATCH (m:SegmentMessage {message_id: id})
WHERE m.claim = $claim AND m.pending_since IS NOT NULL
DELETE m
