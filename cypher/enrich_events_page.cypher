// A page of profiles in pid order, one row per page: `rows` holds, per active profile
// with events, [pid, last open, last click, last unsubscribe, activity], `activity` being
// per channel the distinct UTC days with the customer's own activity and the latest one.
// An event's channel is $channel_by_source[source], else its source; events of
// $passive_types (a campaign being sent) are not the customer's activity.
MATCH (p:Profile)
WHERE p.pid > $after
WITH p
ORDER BY p.pid
LIMIT $page
WITH collect(p) AS page
CALL (page) {
  UNWIND page AS p
  WITH p
  WHERE p.retired IS NULL
  CALL (p) {
    MATCH (p)<-[:IN_PROFILE]-(:Record)<-[:BY]-(e:Event)
    WITH e.type AS type, e.ts AS ts,
         CASE WHEN NOT e.type IN $passive_types
              THEN coalesce($channel_by_source[e.source], e.source) END AS channel
    // One row per (channel, UTC day); channel null for campaign sends and unsubscribes.
    WITH channel, left(ts, 10) AS day, max(ts) AS last,
         max(CASE WHEN type = $open_type THEN ts END) AS opened,
         max(CASE WHEN type = $click_type THEN ts END) AS clicked,
         max(CASE WHEN type = $unsubscribe_type THEN ts END) AS unsubscribed
    WITH channel, count(day) AS days, max(last) AS last, max(opened) AS opened,
         max(clicked) AS clicked, max(unsubscribed) AS unsubscribed
    RETURN count(*) AS n, max(opened) AS opened, max(clicked) AS clicked,
           max(unsubscribed) AS unsubscribed,
           collect(CASE WHEN channel IS NOT NULL THEN [channel, days, last] END) AS activity
  }
  WITH p, n, opened, clicked, unsubscribed, activity
  WHERE n > 0
  RETURN collect([p.pid, opened, clicked, unsubscribed, activity]) AS rows
}
RETURN page[-1].pid AS last, size(page) AS scanned, rows
