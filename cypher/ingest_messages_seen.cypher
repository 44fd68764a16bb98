// Which of these Segment-spec messageIds were already ingested.
UNWIND $ids AS id
MATCH (m:SegmentMessage {message_id: id})
RETURN m.message_id AS message_id
