// A page of records in rid order, one row per page: `rows` holds [a, b, rejected,
// probability, name and postcode only] for every MATCHES link leaving the page's records.
MATCH (a:Record)
WHERE a.rid > $after
WITH a
ORDER BY a.rid
LIMIT $page
WITH collect(a) AS page
CALL (page) {
  UNWIND page AS a
  MATCH (a)-[m:MATCHES]->(b:Record)
  RETURN collect([a.rid, b.rid, m.rejected = true, m.match_probability, m.name_postcode = true]) AS rows
}
RETURN page[-1].rid AS last, size(page) AS scanned, rows
