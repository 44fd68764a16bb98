// A page of records in rid order (through the uniqueness index), one row per page: `rows`
// holds what survivorship and stable ids need of each record, and the $extra attributes
// the rules compare; `last` is the next cursor.
// One row per page rather than per record: the driver's per-record cost would dominate.
MATCH (r:Record)
WHERE r.rid > $after
WITH r
ORDER BY r.rid
LIMIT $page
WITH collect(r) AS page
CALL (page) {
  UNWIND page AS r
  OPTIONAL MATCH (r)-[:IN_PROFILE]->(p:Profile)
  RETURN collect({
    rid: r.rid, source: r.source, seen: coalesce(r.observed_at, r.updated_at, r.created_at),
    given_name: r.given_name, family_name: r.family_name, email: r.email, phone: r.phone,
    address: r.address, city: r.city, state: r.state, postcode: r.postcode,
    country: r.country, dob: r.dob, pid: p.pid, golden_hash: p.golden_hash,
    dirty: r.dirty, weight: 1 + COUNT { (r)<-[:PLACED_BY]-(:Order) },
    extra: [name IN $extra | r[name]]
  }) AS rows
}
RETURN page[-1].rid AS last, size(page) AS scanned, rows
