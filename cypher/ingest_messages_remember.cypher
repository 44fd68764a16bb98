// Remember the Segment-spec messages just ingested, so a client's retry is not ingested again.
UNWIND $rows AS row
MERGE (m:SegmentMessage {message_id: row.message_id})
ON CREATE SET m.type = row.type, m.batch_id = $batch_id, m.received_at = $now
