// The watermark of the incremental refresh: profiles touched at or after `refreshed_at`
// are evaluated again next time.
MATCH (s:Segment {id: $id})
SET s.refreshed_at = $at,
    s.refreshed_today = $today,
    s.last_refresh_mode = $mode,
    s.needs_full = null,
    s.member_count = COUNT { (s)<-[:IN_SEGMENT]-() }
RETURN s.member_count AS members
