// Membership goes with the segment (the segment node is dense: its edges go first).
MATCH (s:Segment {id: $id})
CALL (s) {
  MATCH (s)<-[r:IN_SEGMENT]-()
  DELETE r
}
WITH DISTINCT s
DELETE s
RETURN count(*) AS deleted
