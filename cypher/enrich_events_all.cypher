// Per active profile with events: the latest time of each email event type in
// $email_types, and per channel the distinct UTC days with the customer's own activity and
// the latest one. An event's channel is $channel_by_source[source], else its source; events
// of $passive_types (a campaign being sent) are not the customer's activity.
MATCH (p:Profile)
WHERE p.retired IS NULL
CALL (p) {
  MATCH (p)<-[:IN_PROFILE]-(:Record)<-[:BY]-(e:Event)
  WITH e.type AS type, coalesce($channel_by_source[e.source], e.source) AS channel,
       left(e.ts, 10) AS day, max(e.ts) AS last
  WITH collect({type: type, channel: channel, day: day, last: last}) AS cells
  CALL (cells) {
    UNWIND cells AS c
    WITH c WHERE c.type IN $email_types
    WITH c.type AS type, max(c.last) AS last
    RETURN collect([type, last]) AS email
  }
  CALL (cells) {
    UNWIND cells AS c
    WITH c WHERE NOT c.type IN $passive_types
    WITH c.channel AS channel, c.day AS day, max(c.last) AS last
    WITH channel, count(day) AS days, max(last) AS last
    RETURN collect([channel, days, last]) AS activity
  }
  RETURN size(cells) AS n, email, activity
}
WITH p, n, email, activity
WHERE n > 0
RETURN p.pid AS pid, email, activity
