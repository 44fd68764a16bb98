// A page of records in rid order, one row per page: `rows` holds [rid, identifier key,
// blocked, generic] for every identifier the page's records carry.
MATCH (r:Record)
WHERE r.rid > $after
WITH r
ORDER BY r.rid
LIMIT $page
WITH collect(r) AS page
CALL (page) {
  UNWIND page AS r
  MATCH (r)-[:HAS_IDENTIFIER]->(i:Identifier)
  RETURN collect([r.rid, i.key, i.blocked, i.generic]) AS rows
}
RETURN page[-1].rid AS last, size(page) AS scanned, rows
