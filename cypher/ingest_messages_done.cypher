// The claimed messages' rows are in the graph: remember them as ingested by $batch_id, so
// a client's retry is acknowledged as a duplicate and not ingested again.
UNWIND $ids AS id
MATCH (m:SegmentMessage {message_id: id})
WHERE m.claim = $claim
SET m.batch_id = $batch_id, m.received_at = $now
REMOVE m.claim, m.pending_since
