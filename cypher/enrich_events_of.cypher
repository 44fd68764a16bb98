// The events of the active profiles of $pids, as enrich_events_page returns them.
UNWIND $pids AS pid
MATCH (p:Profile {pid: pid})
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
