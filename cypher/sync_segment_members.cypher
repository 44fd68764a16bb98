// A segment's members: [pid, identifiers..., consents..., [values of $attributes]], in
// slices of $chunk members per record (per-record decoding dominates a 100k-member read).
// `$attributes` are names from the engine's allow-list, read as keys, never as text.
MATCH (:Segment {id: $segment})<-[:IN_SEGMENT]-(p:Profile)
WITH collect([
  p.pid, p.email, p.phone, p.given_name, p.family_name, p.postcode, p.country, p.city,
  p.consent_email, p.consent_sms, p.unsubscribed, [k IN $attributes | p[k]]
]) AS members
UNWIND range(0, size(members) - 1, $chunk) AS i
RETURN members[i..i + $chunk] AS members
