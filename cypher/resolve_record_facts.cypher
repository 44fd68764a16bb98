// The attributes survivorship chooses from, the current profile and the history weight of
// each record (itself and its orders), and the $extra attributes the rules compare.
UNWIND $rids AS rid
MATCH (r:Record {rid: rid})
OPTIONAL MATCH (r)-[:IN_PROFILE]->(p:Profile)
// One row holding a map per record: one Bolt record, not one per record.
RETURN collect({
  rid: r.rid, source: r.source, seen: coalesce(r.observed_at, r.updated_at, r.created_at),
  given_name: r.given_name, family_name: r.family_name, email: r.email, phone: r.phone,
  address: r.address, city: r.city, state: r.state, postcode: r.postcode,
  country: r.country, dob: r.dob, pid: p.pid, golden_hash: p.golden_hash,
  dirty: r.dirty, weight: 1 + COUNT { (r)<-[:PLACED_BY]-(:Order) },
  extra: [name IN $extra | r[name]]
}) AS rows
